// The one table of error codes used at every boundary (page, relay HTTP API, CLI, SDK).
// Codes are stable: tests, pages and scripts match on them. Messages are for people and never
// carry secret material, stack traces or echoed input.

/** Codes a page can receive from `clientSecretRequest()` (docs/extension.md, "Page API"). */
export const PAGE_ERROR_CODES = [
  'VAULT_LOCKED',
  'SECRET_NOT_FOUND',
  'ORIGIN_NOT_ALLOWED',
  'USER_DENIED',
  'HOST_NOT_ALLOWED',
  'PLACEHOLDER_MISSING',
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'RELAY_UNAVAILABLE',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_ERROR',
  'REQUEST_EXPIRED',
  // grants (docs/protocol.md, "POST /v1/grants/:id/forward"): the web SDK's extra codes
  'GRANT_INVALID', // unknown, revoked or expired grant (or its secret or owner is gone)
  'LOGIN_REQUIRED', // a locked grant without a valid ID token
  'PLACEMENT_NOT_ALLOWED', // a placeholder stands where its secret may not be placed
] as const;

/** Further codes used between the relay, the SDK, the CLI and the extension. */
export const INTERNAL_ERROR_CODES = [
  'UNAUTHENTICATED', // no, expired or revoked session
  'INVALID_CREDENTIALS', // login failed (same answer for unknown email and wrong key)
  'ACCOUNT_EXISTS',
  'FORBIDDEN', // the session's account may not touch this resource
  'NOT_FOUND',
  'CONFLICT', // a write based on a stale revision; the current version comes with it
  'DECRYPTION_FAILED', // every decryption failure, with no further detail (no oracle)
  'UNSUPPORTED_FORMAT', // unknown envelope version or algorithm
  'KDF_PARAMS_TOO_WEAK', // argon2id parameters under the floor: refused before deriving
  'FINGERPRINT_MISMATCH',
  'VAULT_VERIFICATION_FAILED', // a vault's signed state, item versions or member chain do not check out
  'STORE_UNAVAILABLE', // the database cannot be reached or is full
  'NOT_CONFIGURED', // the CLI has no relay / session yet
  'AGENT_NOT_ALLOWED', // keyhole serve / run / mcp: the secret is not enabled for agent use
  'INTERNAL',
] as const;

export const ERROR_CODES = [...PAGE_ERROR_CODES, ...INTERNAL_ERROR_CODES] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type PageErrorCode = (typeof PAGE_ERROR_CODES)[number];

/** The HTTP status the relay answers with for each code. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VAULT_LOCKED: 423,
  SECRET_NOT_FOUND: 404,
  ORIGIN_NOT_ALLOWED: 403,
  USER_DENIED: 403,
  HOST_NOT_ALLOWED: 403,
  PLACEHOLDER_MISSING: 400,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  RELAY_UNAVAILABLE: 503,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_ERROR: 502,
  REQUEST_EXPIRED: 410,
  GRANT_INVALID: 403,
  LOGIN_REQUIRED: 401,
  PLACEMENT_NOT_ALLOWED: 403,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  ACCOUNT_EXISTS: 409,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DECRYPTION_FAILED: 400,
  UNSUPPORTED_FORMAT: 400,
  KDF_PARAMS_TOO_WEAK: 400,
  FINGERPRINT_MISMATCH: 400,
  VAULT_VERIFICATION_FAILED: 502,
  STORE_UNAVAILABLE: 503,
  NOT_CONFIGURED: 400,
  AGENT_NOT_ALLOWED: 403,
  INTERNAL: 500,
};

/** The wire shape of every error: `{ error: { code, message, ...details } }`. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** UPSTREAM_ERROR: the upstream's status and parsed body. CONFLICT: the current versions. */
  status?: number;
  body?: unknown;
  retryAfter?: number;
  details?: unknown;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** The error thrown inside Keyhole; boundaries turn it into `{ ok: false, error }` or JSON. */
export class KeyholeError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly body?: unknown;
  readonly retryAfter?: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, extra: Omit<ErrorBody, 'code' | 'message'> = {}) {
    super(message ?? defaultMessage(code));
    this.name = 'KeyholeError';
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.body !== undefined) this.body = extra.body;
    if (extra.retryAfter !== undefined) this.retryAfter = extra.retryAfter;
    if (extra.details !== undefined) this.details = extra.details;
  }

  toBody(): ErrorBody {
    const out: ErrorBody = { code: this.code, message: this.message };
    if (this.status !== undefined) out.status = this.status;
    if (this.body !== undefined) out.body = this.body;
    if (this.retryAfter !== undefined) out.retryAfter = this.retryAfter;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Any thrown value → a safe ErrorBody. Unknown errors become INTERNAL with a generic message. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof KeyholeError) return err.toBody();
  return { code: 'INTERNAL', message: defaultMessage('INTERNAL') };
}

export function defaultMessage(code: ErrorCode): string {
  return DEFAULT_MESSAGES[code];
}

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  VAULT_LOCKED: 'The Keyhole vault is locked. Unlock it from the extension popup.',
  SECRET_NOT_FOUND: 'No secret with that name exists in this vault.',
  ORIGIN_NOT_ALLOWED: 'This site may not use that secret.',
  USER_DENIED: 'The user denied this request.',
  HOST_NOT_ALLOWED: "The destination is not in the secret's allowed hosts.",
  PLACEHOLDER_MISSING:
    'The request does not use the secret: put $CLIENT_SECRET in the url, headers, data or params.',
  INVALID_REQUEST: 'The request is malformed.',
  PAYLOAD_TOO_LARGE: 'The request or response is larger than the allowed limit.',
  RATE_LIMITED: 'Too many requests. Try again later.',
  RELAY_UNAVAILABLE: 'The Keyhole relay cannot be reached.',
  UPSTREAM_UNREACHABLE: 'The destination API cannot be reached.',
  UPSTREAM_TIMEOUT: 'The destination API did not answer in time.',
  UPSTREAM_ERROR: 'The destination API answered with an error.',
  REQUEST_EXPIRED: 'The request record has expired.',
  GRANT_INVALID: 'This grant is unknown, revoked or expired.',
  LOGIN_REQUIRED: 'Sign in first: this grant needs a valid ID token.',
  PLACEMENT_NOT_ALLOWED:
    "A placeholder stands where its secret may not be placed (see the secret's placement).",
  UNAUTHENTICATED: 'Not signed in, or the session has expired. Log in again.',
  INVALID_CREDENTIALS: 'Wrong email or master password.',
  ACCOUNT_EXISTS: 'An account with that email already exists.',
  FORBIDDEN: 'This account may not do that.',
  NOT_FOUND: 'Not found.',
  CONFLICT: 'Someone else changed this first; pull and try again.',
  DECRYPTION_FAILED: 'Decryption failed.',
  UNSUPPORTED_FORMAT: 'Unsupported data format version.',
  KDF_PARAMS_TOO_WEAK: 'The key-derivation parameters are below the safe minimum.',
  FINGERPRINT_MISMATCH: 'The public key fingerprint does not match the expected value.',
  VAULT_VERIFICATION_FAILED:
    'This vault failed verification: the relay served a state its writers did not sign. It is skipped.',
  STORE_UNAVAILABLE: 'The relay store is unavailable.',
  NOT_CONFIGURED: 'Keyhole is not set up yet.',
  AGENT_NOT_ALLOWED:
    'That secret is not enabled for agents: enable it with `keyhole secret update NAME --agent on`.',
  INTERNAL: 'Internal error.',
};
