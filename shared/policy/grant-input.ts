// A grant's policy as a person types it (CLI flags, the popup's form) → the options the SDK's
// createGrant seals: one check, one set of messages, for both (docs/cli.md "Grants",
// docs/extension.md "Grants"). No zod here: the popup bundle imports this module; the SDK checks
// the built policy again with the protocol schema before anything is sealed.
import { HTTP_METHODS, type HttpMethodName } from '../protocol/methods.js';
import { originHint } from './input-hints.js';
import { parseAllowedOrigin } from './origins.js';

export const GRANT_MAX_ORIGINS = 32;
export const GRANT_MAX_PATHS = 32;
export const GRANT_MAX_RATE = 1_000_000;
export const GRANT_MAX_QUOTA = 1_000_000_000;
/** The body of a grant forward is capped by the relay's forward cap; this is the default. */
export const GRANT_DEFAULT_MAX_BODY = 256 * 1024;
export const GRANT_MAX_BODY_LIMIT = 16 * 1024 * 1024;
export const GRANT_MAX_TEXT = 512;

export interface LockedGrantOptions {
  /** the site's identity provider's JWKS url */
  jwksUrl: string;
  issuer: string;
  audience: string;
}

/** What createGrant (shared/client/grants.ts) seals, besides the grant's id, vault and item. */
export interface GrantOptions {
  origins: string[];
  methods?: HttpMethodName[];
  paths?: string[];
  ratePerMinute?: number | null;
  quotaPerDay?: number | null;
  /** ms from now; undefined (and no expiresAt): until revoked */
  expiresInMs?: number;
  /** ms since the epoch, in the future */
  expiresAt?: number;
  maxBodyBytes?: number;
  locked?: LockedGrantOptions | null;
}

/** What was typed, as text: blank or missing means "no limit" / "the default". */
export interface GrantInput {
  origins: string[];
  methods?: string[];
  paths?: string[];
  /** requests per minute per visitor */
  rate?: string;
  /** requests per UTC day for the whole grant */
  quota?: string;
  /** DURATION: N followed by s, m, h or d */
  expires?: string;
  /** ms since the epoch (the popup's date and time field) */
  expiresAt?: number;
  maxBody?: string;
  locked?: boolean;
  jwks?: string;
  issuer?: string;
  audience?: string;
}

/** The input a problem is about: the popup marks that field, the CLI names its flag. */
export type GrantField =
  | 'origins'
  | 'methods'
  | 'paths'
  | 'rate'
  | 'quota'
  | 'expires'
  | 'max-body'
  | 'locked'
  | 'jwks'
  | 'issuer'
  | 'audience';

export type GrantInputCheck =
  { ok: true; options: GrantOptions } | { ok: false; field: GrantField; message: string };

/** An exact web origin: scheme://host[:port], as `URL.origin` writes it (no path, no slash). */
export function isWebOrigin(s: string): boolean {
  if (typeof s !== 'string' || s.length > 300) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}

/** A url path prefix: starts with '/', no dot segments, no query, fragment, space or backslash. */
export function isPathPrefix(p: string): boolean {
  return (
    typeof p === 'string' &&
    p.length >= 1 &&
    p.length <= 512 &&
    /^\/[^?#\\\s]*$/.test(p) &&
    !p.split('/').some((seg) => seg === '.' || seg === '..')
  );
}

/** `30s`, `15m`, `12h`, `7d` → milliseconds; null when it is not a duration of at least 1 s. */
export function durationMs(text: string): number | null {
  const m = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : null;
}

/** Why an origin was refused, with the exact form to write instead when there is one. */
export function grantOriginHint(entry: string): string {
  const normalised = parseAllowedOrigin(entry);
  if (normalised && normalised !== entry) return `write it exactly as ${normalised}`;
  return originHint(entry);
}

const fail = (field: GrantField, message: string): GrantInputCheck => ({
  ok: false,
  field,
  message,
});

/** A whole number in [1, max] from text; undefined for blank; null when it is not one. */
function count(text: string | undefined, max: number): number | undefined | null {
  if (text === undefined || text.trim() === '') return undefined;
  const t = text.trim();
  if (!/^\d{1,16}$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? n : null;
}

const present = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';

/**
 * Check what was typed and build the grant options. The first problem found is returned, naming
 * the field; nothing is changed by a refusal. `now` decides whether an end date is in the future.
 */
export function checkGrantInput(input: GrantInput, now: number = Date.now()): GrantInputCheck {
  const origins = [...new Set(input.origins.map((o) => o.trim()).filter((o) => o !== ''))];
  if (origins.length === 0)
    return fail('origins', 'Add the origin of the site that may use it, e.g. https://app.example.');
  if (origins.length > GRANT_MAX_ORIGINS)
    return fail('origins', `At most ${GRANT_MAX_ORIGINS} origins.`);
  for (const o of origins) {
    if (!isWebOrigin(o))
      return fail('origins', `"${o}" is not an exact origin: ${grantOriginHint(o)}.`);
  }

  const methods: HttpMethodName[] = [];
  for (const raw of input.methods ?? []) {
    const m = raw.trim().toUpperCase();
    if (m === '') continue;
    if (!(HTTP_METHODS as readonly string[]).includes(m))
      return fail('methods', `"${raw}" is not a method: use ${HTTP_METHODS.join(', ')}.`);
    if (!methods.includes(m as HttpMethodName)) methods.push(m as HttpMethodName);
  }

  const paths = [...new Set((input.paths ?? []).map((p) => p.trim()).filter((p) => p !== ''))];
  if (paths.length > GRANT_MAX_PATHS)
    return fail('paths', `At most ${GRANT_MAX_PATHS} path prefixes.`);
  for (const p of paths) {
    if (!isPathPrefix(p))
      return fail(
        'paths',
        `"${p}" is not a path prefix: start with / and leave out the query, e.g. /v1/chat.`,
      );
  }

  const rate = count(input.rate, GRANT_MAX_RATE);
  if (rate === null)
    return fail(
      'rate',
      `Requests per minute is a whole number from 1 to ${GRANT_MAX_RATE} (blank: no limit).`,
    );
  const quota = count(input.quota, GRANT_MAX_QUOTA);
  if (quota === null)
    return fail(
      'quota',
      `Requests per day is a whole number from 1 to ${GRANT_MAX_QUOTA} (blank: no limit).`,
    );
  const maxBody = count(input.maxBody, GRANT_MAX_BODY_LIMIT);
  if (maxBody === null)
    return fail(
      'max-body',
      `The largest body is a whole number of bytes from 1 to ${GRANT_MAX_BODY_LIMIT}.`,
    );

  const options: GrantOptions = {
    origins,
    methods,
    paths,
    ratePerMinute: rate ?? null,
    quotaPerDay: quota ?? null,
    locked: null,
  };
  if (maxBody !== undefined) options.maxBodyBytes = maxBody;

  if (present(input.expires) && input.expiresAt !== undefined)
    return fail('expires', 'Give either a duration or an end date, not both.');
  if (present(input.expires)) {
    const ms = durationMs(input.expires);
    if (ms === null)
      return fail('expires', 'A duration is a number followed by s, m, h or d, e.g. 30d or 12h.');
    options.expiresInMs = ms;
  } else if (input.expiresAt !== undefined) {
    if (!Number.isFinite(input.expiresAt))
      return fail('expires', 'Pick the date and time the grant ends.');
    if (input.expiresAt <= now)
      return fail('expires', 'The end is in the past: pick a date and time in the future.');
    options.expiresAt = Math.floor(input.expiresAt);
  }

  const idp = [input.jwks, input.issuer, input.audience];
  if (!input.locked) {
    if (idp.some(present))
      return fail(
        'locked',
        'The JWKS URL, issuer and audience belong to a locked grant: lock it, or leave them out.',
      );
    return { ok: true, options };
  }
  if (!present(input.jwks))
    return fail(
      'jwks',
      "A locked grant needs your identity provider's JWKS URL, e.g. https://login.example/.well-known/jwks.json.",
    );
  const jwksUrl = input.jwks.trim();
  if (!isHttpUrl(jwksUrl) || jwksUrl.length > 2048)
    return fail(
      'jwks',
      'The JWKS URL is an https:// address (http:// only for a local provider the relay may reach).',
    );
  if (!present(input.issuer))
    return fail(
      'issuer',
      'Type the issuer (iss) your ID tokens carry, e.g. https://login.example.',
    );
  if (!present(input.audience))
    return fail(
      'audience',
      'Type the audience (aud) your ID tokens carry: usually your client id.',
    );
  const issuer = input.issuer.trim();
  const audience = input.audience.trim();
  if (issuer.length > GRANT_MAX_TEXT)
    return fail('issuer', `At most ${GRANT_MAX_TEXT} characters.`);
  if (audience.length > GRANT_MAX_TEXT)
    return fail('audience', `At most ${GRANT_MAX_TEXT} characters.`);
  options.locked = { jwksUrl, issuer, audience };
  return { ok: true, options };
}

function isHttpUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const u = new URL(text);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** What the owner sees: `live` past its end date reads `expired` (the relay refuses it anyway). */
export function effectiveGrantState(
  state: string,
  expiresAt: number | null | undefined,
  now: number = Date.now(),
): string {
  return state === 'live' && expiresAt != null && expiresAt <= now ? 'expired' : state;
}
