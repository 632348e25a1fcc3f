// Typed calls to the relay's HTTP API (docs/protocol.md). Uses the global fetch, so it runs in
// Node, in the CLI and in an MV3 service worker. Every failure becomes a KeyholeError.
import type { z } from 'zod';
import { KeyholeError } from '../errors.js';
import {
  ForwardTicket,
  ListVaultsResponse,
  LoginResponse,
  PreloginResponse,
  PullResponse,
  PushResponse,
  SignupResponse,
  type ForwardRequest,
  type LoginRequest,
  type PushRequest,
  type SignupRequest,
} from '../protocol/index.js';
import { errorFromResponse } from './relay-errors.js';

export interface RelayClientOptions {
  /** e.g. https://relay.example.com (a trailing slash is ignored) */
  baseUrl: string;
  token?: string;
  /** defaults to the global fetch */
  fetch?: typeof fetch;
  /** ms for every call except forward (whose timing the relay bounds); default 30 s */
  timeoutMs?: number;
  /**
   * Called once when the relay answers UNAUTHENTICATED; a returned token is stored and the call
   * retried once. The CLI uses this to log in again with the password it already holds.
   */
  onUnauthenticated?: () => Promise<string | null>;
}

export interface AccountInfo {
  accountId: string;
  email: string;
  publicKey: string;
}

type Method = 'GET' | 'POST' | 'DELETE';

export class RelayClient {
  readonly baseUrl: string;
  token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly onUnauthenticated: (() => Promise<string | null>) | undefined;

  constructor(options: RelayClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.token = options.token;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onUnauthenticated = options.onUnauthenticated;
  }

  prelogin(email: string): Promise<z.infer<typeof PreloginResponse>> {
    return this.json('POST', '/v1/auth/prelogin', PreloginResponse, { email }, false);
  }

  signup(body: SignupRequest): Promise<z.infer<typeof SignupResponse>> {
    return this.json('POST', '/v1/auth/signup', SignupResponse, body, false);
  }

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.json('POST', '/v1/auth/login', LoginResponse, body, false);
  }

  async logout(): Promise<void> {
    await this.call('POST', '/v1/auth/logout', undefined, true);
  }

  me(): Promise<AccountInfo> {
    return this.json('GET', '/v1/accounts/me', null, undefined, true) as Promise<AccountInfo>;
  }

  listVaults(): Promise<z.infer<typeof ListVaultsResponse>> {
    return this.json('GET', '/v1/vaults', ListVaultsResponse, undefined, true);
  }

  pull(vaultId: string, since: number, limit?: number): Promise<PullResponse> {
    const query = `since=${since}` + (limit ? `&limit=${limit}` : '');
    return this.json(
      'GET',
      `/v1/vaults/${enc(vaultId)}/items?${query}`,
      PullResponse,
      undefined,
      true,
    );
  }

  push(vaultId: string, body: PushRequest): Promise<PushResponse> {
    return this.json('POST', `/v1/vaults/${enc(vaultId)}/items`, PushResponse, body, true);
  }

  /**
   * POST /v1/forward. Resolves with the raw (streaming) Response when the relay itself did not
   * fail — including upstream non-2xx answers; see readForwardResponse() in forward-response.ts.
   * Relay errors (the `keyhole-error` header) throw.
   */
  async forward(body: ForwardRequest, signal?: AbortSignal): Promise<Response> {
    return this.call('POST', '/v1/forward', body, true, signal ?? null);
  }

  getForwardTicket(requestId: string): Promise<ForwardTicket> {
    return this.json(
      'GET',
      `/v1/forward/requests/${enc(requestId)}`,
      ForwardTicket,
      undefined,
      true,
    );
  }

  /** For routes added later (teams, audit): a JSON call validated by the given schema. */
  request<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    return this.json(method, path, schema, body, true);
  }

  private async json<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S | null,
    body: unknown,
    auth: boolean,
  ): Promise<z.infer<S>> {
    const res = await this.call(method, path, body, auth);
    let data: unknown;
    try {
      data = await res.json();
    } catch {
      throw unexpected();
    }
    if (!schema) return data as z.infer<S>;
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw unexpected();
    return parsed.data;
  }

  /** One HTTP call; non-2xx answers (except forward's upstream answers) throw KeyholeError. */
  private async call(
    method: Method,
    path: string,
    body: unknown,
    auth: boolean,
    signal: AbortSignal | null = AbortSignal.timeout(this.timeoutMs),
  ): Promise<Response> {
    const first = await this.send(method, path, body, auth, signal);
    if (first.ok || !isRelayError(first) || !auth || !this.onUnauthenticated) {
      return this.check(first, path);
    }
    if (first.headers.get('keyhole-error') !== 'UNAUTHENTICATED') return this.check(first, path);
    await first.body?.cancel();
    const token = await this.onUnauthenticated();
    if (!token) return this.check(first, path);
    this.token = token;
    return this.check(await this.send(method, path, body, auth, signal), path);
  }

  private async check(res: Response, path: string): Promise<Response> {
    // Browsers hide a 3xx fetched with redirect: 'manual' (opaque, status 0): report it, never follow.
    if (res.type === 'opaqueredirect') {
      throw path === '/v1/forward'
        ? new KeyholeError('UPSTREAM_ERROR', 'The destination API answered with a redirect.')
        : unexpected();
    }
    if (res.ok) return res;
    // The forward route passes the upstream's own errors through: only relay errors throw here.
    if (path === '/v1/forward' && !isRelayError(res)) return res;
    throw await errorFromResponse(res);
  }

  private async send(
    method: Method,
    path: string,
    body: unknown,
    auth: boolean,
    signal: AbortSignal | null,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      if (!this.token) throw new KeyholeError('UNAUTHENTICATED');
      headers.authorization = `Bearer ${this.token}`;
    }
    try {
      return await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal,
        // Never follow a redirect: /v1/forward passes the upstream's 3xx through, and following it
        // would re-send this request (the item keys, the session token) wherever Location points.
        redirect: 'manual',
      });
    } catch (err) {
      if (signal?.aborted && (err as { name?: string }).name === 'AbortError') {
        throw new KeyholeError('RELAY_UNAVAILABLE', 'The request was cancelled.');
      }
      throw new KeyholeError(
        'RELAY_UNAVAILABLE',
        `The Keyhole relay at ${this.baseUrl} cannot be reached.`,
      );
    }
  }
}

function isRelayError(res: Response): boolean {
  return res.headers.has('keyhole-error');
}

function unexpected(): KeyholeError {
  return new KeyholeError('INTERNAL', 'The relay sent an answer this client does not understand.');
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** Accepts `https://host[:port][/base]`; refuses anything that is not http(s). */
export function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `Not a relay URL: ${JSON.stringify(url.slice(0, 200))}`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KeyholeError('INVALID_REQUEST', 'The relay URL must start with https:// or http://');
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'The relay URL must not carry credentials, a query or a fragment.',
    );
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}
