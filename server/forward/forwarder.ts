// One forwarder per relay: the keep-alive outbound Agent behind the SSRF guard, the token
// caches, the audit writer and the queue. Built without I/O; sockets open on first use.
import type { Agent } from 'undici';
import type { AppDeps } from '../deps.js';
import { AuditWriter } from './audit.js';
import type { ExecuteLimits } from './execute.js';
import { resolveForwardConfig, type ForwardConfig } from './forward-config.js';
import { MintedTokens } from './minted-tokens.js';
import { OAuthTokens } from './oauth.js';
import { createOutboundAgent } from './outbound.js';
import { ForwardQueue } from './queue.js';
import { SsrfGuard, type Resolver } from './ssrf.js';

export interface Forwarder {
  config: ForwardConfig;
  /** the answer limits of config, as execute() takes them */
  limits: ExecuteLimits;
  guard: SsrfGuard;
  agent: Agent;
  oauth: OAuthTokens;
  /** jwt and github-app access tokens */
  minted: MintedTokens;
  audit: AuditWriter;
  queue: ForwardQueue;
  now: () => number;
  close(): Promise<void>;
}

export interface ForwarderOptions {
  /** DNS stub for tests (rebinding); default: the system resolver */
  resolver?: Resolver;
}

export function createForwarder(deps: AppDeps, options: ForwarderOptions = {}): Forwarder {
  const config = resolveForwardConfig(deps.config.forward);
  const now = deps.now ?? Date.now;
  const guardOptions: ConstructorParameters<typeof SsrfGuard>[0] = {
    allowPrivate: deps.config.allowPrivate,
  };
  if (options.resolver) guardOptions.resolver = options.resolver;
  const guard = new SsrfGuard(guardOptions);
  const agent = createOutboundAgent({ guard, connectTimeoutMs: config.connectTimeoutMs });
  const oauth = new OAuthTokens(agent, config.totalTimeoutMs, now);
  const minted = new MintedTokens(agent, config.totalTimeoutMs, now);
  const audit = new AuditWriter(deps.store.db, deps.store.dialect, deps.logger, deps.store.sqlite);
  const queue = new ForwardQueue(deps.store.db, agent, config, deps.logger, now);
  return {
    config,
    limits: { maxResponseBytes: config.maxResponseBytes, totalTimeoutMs: config.totalTimeoutMs },
    guard,
    agent,
    oauth,
    minted,
    audit,
    queue,
    now,
    async close() {
      await audit.flush();
      oauth.clear();
      minted.clear();
      await agent.close();
    },
  };
}
