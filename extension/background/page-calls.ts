// One page call in the background: who is calling (sender), may it use the secret(s) (or ask the
// user), is the request acceptable — then forward through the relay and stream the answer back.
import { KeyholeError } from '../../shared/errors.js';
import { findPlaceholders, resolveRef, secretSigns } from '../../shared/policy/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { bytesToBase64, isPageOp } from '../bridge/messages.js';
import type { BackgroundReply, FetchTemplate, PageOp } from '../bridge/messages.js';
import { pageErrorBody } from '../bridge/page-errors.js';
import type { Decision } from './approvals.js';
import {
  callerOrigin,
  checkFetchTemplate,
  checkPageRequest,
  decideAccess,
  describeDestination,
  fetchSecretNames,
  requestedName,
  topOrigin,
} from './policy.js';
import type { PageRequest, SenderLike } from './policy.js';

/** A secret as the page-call logic sees it (the real one also carries its item key, unused here). */
export interface FoundSecret {
  vaultId: string;
  itemId: string;
  payload: SecretPayload;
}

/** A call that passed every check, ready for the relay. */
export type ApprovedCall =
  | { kind: 'request'; origin: string; request: PageRequest }
  | { kind: 'fetch'; origin: string; name: string; template: FetchTemplate };

export interface ReplySink {
  head(status: number, statusText: string, headers: [string, string][]): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
}

export interface PageCallDeps {
  extensionId: string;
  isUnlocked(): Promise<boolean>;
  find(name: string): Promise<FoundSecret | undefined>;
  /** live names in one vault (undefined: all vaults) */
  names(vaultId?: string): Promise<string[]>;
  ask(
    prompt: {
      origin: string;
      secretName: string;
      host: string;
      method: string;
      /** the top-level page's origin (set by servePagePort from the sender's tab) */
      topOrigin?: string;
    },
    signal: AbortSignal,
  ): Promise<Decision>;
  allowOrigin(found: FoundSecret, origin: string): Promise<void>;
  isDenied(origin: string, name: string): Promise<boolean>;
  addDenied(origin: string, name: string): Promise<void>;
  forward(call: ApprovedCall, sink: ReplySink, signal: AbortSignal): Promise<void>;
}

/**
 * Make sure `origin` may use every one of `names`. Missing and not-allowed look the same to the page
 * (ORIGIN_NOT_ALLOWED); an existing secret the user has not decided on is asked about first, but
 * only when the request would otherwise be acceptable (`precheck`), so no window is spent on junk.
 */
export async function authorise(
  deps: PageCallDeps,
  origin: string,
  names: string[],
  display: { host: string; method: string },
  precheck: (found: FoundSecret) => void,
  signal: AbortSignal,
): Promise<FoundSecret[]> {
  const out: FoundSecret[] = [];
  for (const name of names) {
    const found = await deps.find(name);
    const access = decideAccess(
      found?.payload,
      origin,
      found ? await deps.isDenied(origin, name) : false,
    );
    if (access === 'refuse' || !found) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
    if (access === 'ask') {
      try {
        precheck(found);
      } catch {
        throw new KeyholeError('ORIGIN_NOT_ALLOWED');
      }
      const decision = await deps.ask({ origin, secretName: name, ...display }, signal);
      if (decision === 'deny') {
        await deps.addDenied(origin, name);
        throw new KeyholeError('USER_DENIED');
      }
      // "Not now" (window closed): refused this time, asked again next time.
      if (decision === 'dismiss') throw new KeyholeError('USER_DENIED');
      if (decision === 'always') {
        // Still allowed this once if saving the permission fails (e.g. the relay is down).
        await deps.allowOrigin(found, origin).catch(() => undefined);
      }
    }
    out.push(found);
  }
  return out;
}

/** Names a request-mode call uses: its clientSecretName plus any `$(secret:NAME)` in the template. */
async function requestNames(
  deps: PageCallDeps,
  params: Record<string, unknown>,
  main: FoundSecret | undefined,
) {
  const name = requestedName(params);
  if (!main) return [name];
  const texts: string[] = [];
  collect(params.url, texts);
  collect(params.headers, texts);
  collect(params.data, texts);
  collect(params.params, texts);
  const known = await deps.names(main.vaultId);
  const names = [name];
  for (const text of texts) {
    for (const tok of findPlaceholders(text)) {
      if (!tok.ref) continue;
      const resolved = resolveRef(tok.ref, known)?.name ?? tok.ref;
      if (!names.includes(resolved)) names.push(resolved);
    }
  }
  return names;
}

function collect(value: unknown, into: string[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') into.push(value);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) collect(v, into, depth + 1);
}

async function runRequest(
  deps: PageCallDeps,
  origin: string,
  params: Record<string, unknown>,
  sink: ReplySink,
  signal: AbortSignal,
): Promise<void> {
  const name = requestedName(params);
  if (!(await deps.isUnlocked())) throw new KeyholeError('VAULT_LOCKED');
  const main = await deps.find(name);
  const names = await requestNames(deps, params, main);
  // sigv4 / hmac: the relay signs; the call names the secret and needs no placeholder.
  const signs = main !== undefined && secretSigns(main.payload.type);
  if (names.length > 8) throw new KeyholeError('INVALID_REQUEST');
  const display = describeDestination(params.url, params.method);
  const found = await authorise(
    deps,
    origin,
    names,
    display,
    (f) => checkPageRequest(params, f.payload.allowedHosts, signs),
    signal,
  );
  let request: PageRequest | undefined;
  for (const f of found) request = checkPageRequest(params, f.payload.allowedHosts, signs);
  if (!request) throw new KeyholeError('INVALID_REQUEST');
  await deps.forward({ kind: 'request', origin, request }, sink, signal);
}

async function runFetch(
  deps: PageCallDeps,
  origin: string,
  template: FetchTemplate,
  sink: ReplySink,
  signal: AbortSignal,
): Promise<void> {
  if (!(await deps.isUnlocked())) throw new KeyholeError('VAULT_LOCKED');
  if (
    typeof template.url !== 'string' ||
    typeof template.headers !== 'object' ||
    template.headers === null
  ) {
    throw new KeyholeError('INVALID_REQUEST');
  }
  const { names } = fetchSecretNames(template, await deps.names());
  if (names.length === 0) throw new KeyholeError('PLACEHOLDER_MISSING');
  if (names.length > 8) throw new KeyholeError('INVALID_REQUEST');
  const display = describeDestination(template.url, template.method);
  const found = await authorise(
    deps,
    origin,
    names,
    display,
    (f) => checkFetchTemplate(template, [f.payload]),
    signal,
  );
  checkFetchTemplate(
    template,
    found.map((f) => f.payload),
  );
  await deps.forward({ kind: 'fetch', origin, name: names[0] as string, template }, sink, signal);
}

async function runHas(deps: PageCallDeps, origin: string, name: string): Promise<boolean> {
  if (!(await deps.isUnlocked())) return false;
  const found = await deps.find(name);
  return decideAccess(found?.payload, origin, false) === 'allow';
}

/** Run one op and report through `send`; every failure becomes a page-safe error body. */
export async function runPageOp(
  deps: PageCallDeps,
  origin: string | null,
  op: PageOp,
  send: (reply: BackgroundReply) => void,
  signal: AbortSignal,
): Promise<void> {
  const sink: ReplySink = {
    head: (status, statusText, headers) => send({ t: 'head', status, statusText, headers }),
    chunk: (bytes) => send({ t: 'chunk', b64: bytesToBase64(bytes) }),
    end: () => send({ t: 'end' }),
  };
  try {
    if (op.op === 'has') {
      send({ t: 'result', data: origin ? await runHas(deps, origin, op.name) : false });
      return;
    }
    if (!origin) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
    if (op.op === 'request') await runRequest(deps, origin, op.params, sink, signal);
    else if (op.op === 'fetch') await runFetch(deps, origin, op.request, sink, signal);
    else throw new KeyholeError('INVALID_REQUEST');
  } catch (err) {
    if (signal.aborted) return;
    const e = err instanceof KeyholeError ? err : undefined;
    send({
      t: 'error',
      error: pageErrorBody(e?.code ?? 'INTERNAL', { status: e?.status, body: e?.body }),
    });
  }
}

/** The subset of a runtime port the background uses. */
export interface PortLike {
  sender?: SenderLike;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(cb: (message: unknown) => void): void };
  onDisconnect: { addListener(cb: () => void): void };
}

/** Serve one page port: the first message is the op, a later `cancel` (or a disconnect) aborts it. */
export function servePagePort(port: PortLike, pageDeps: PageCallDeps): void {
  const origin = callerOrigin(port.sender, pageDeps.extensionId);
  // The approval window names the top-level page too, and the queue limits per site by it.
  const top = topOrigin(port.sender);
  const deps: PageCallDeps = top
    ? { ...pageDeps, ask: (prompt, signal) => pageDeps.ask({ ...prompt, topOrigin: top }, signal) }
    : pageDeps;
  const abort = new AbortController();
  let started = false;
  let open = true;
  port.onDisconnect.addListener(() => {
    open = false;
    abort.abort();
  });
  const send = (reply: BackgroundReply): void => {
    if (!open) return;
    try {
      port.postMessage(reply);
    } catch {
      open = false;
    }
  };
  port.onMessage.addListener((msg) => {
    if (started) {
      if (isPageOp(msg) && msg.op === 'cancel') abort.abort();
      return;
    }
    started = true;
    if (!isPageOp(msg) || msg.op === 'cancel') {
      send({ t: 'error', error: pageErrorBody('INVALID_REQUEST') });
      return;
    }
    void runPageOp(deps, origin, msg, send, abort.signal);
  });
}
