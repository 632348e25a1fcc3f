// The body of POST /v1/forward as a ForwardRequest (shared/protocol/forward.ts). The zod schema
// is the contract; it costs ~5 µs a request, a twentieth of a forward's CPU (issue #16). So the
// common shape is checked by hand first, and anything the hand check does not fully recognise —
// an unknown key, a `__proto__` key, a value out of range, any error — goes to zod, which decides
// and writes the message. The hand check only ever answers what zod would answer
// (test/fuzz/forward-body.test.ts compares the two on arbitrary input).
import { KeyholeError } from '../../../shared/errors.js';
import { SECRET_NAME_RE } from '../../../shared/policy/secret-name.js';
import { ID_RE, KEY32_RE } from '../../../shared/protocol/common.js';
import {
  FORWARD_LIMITS as L,
  ForwardRequest,
  HTTP_METHODS,
  type HttpMethod,
  type RequestTemplate,
  type SecretRef,
} from '../../../shared/protocol/forward.js';
import { parseWith } from '../../http/validate.js';

/** JSON and schema checks of the body; every failure is INVALID_REQUEST. */
export function parseForwardBody(text: string): ForwardRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The request body is not valid JSON.');
  }
  return fastForwardRequest(json) ?? parseWith(ForwardRequest, json, 'body');
}

const METHODS: ReadonlySet<string> = new Set(HTTP_METHODS);

type Plain = Record<string, unknown>;

/** An object as JSON.parse makes it (not an array, no `__proto__` key). */
function plain(value: unknown): value is Plain {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !Object.hasOwn(value, '__proto__')
  );
}

function onlyKeys(obj: Plain, allowed: ReadonlySet<string>): boolean {
  for (const k in obj) if (!allowed.has(k)) return false;
  return true;
}

function shortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/** z.number().int() with bounds, on safe integers only (anything else: zod decides). */
function intIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

const TOP = new Set(['request', 'secrets', 'origin', 'queue', 'expires', 'poll']);
const TEMPLATE = new Set(['url', 'method', 'headers', 'data', 'params']);
const REF = new Set(['name', 'vaultId', 'itemId', 'itemKey']);

function headersOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!plain(value)) return undefined;
  const out: Record<string, string> = {};
  for (const k in value) {
    const v = value[k];
    if (k.length > L.headerNameMax || !shortString(v, L.headerValueMax)) return undefined;
    out[k] = v;
  }
  return out;
}

function paramsOf(value: Plain): Record<string, string | number | boolean> | undefined {
  const out: Record<string, string | number | boolean> = {};
  for (const k in value) {
    const v = value[k];
    if (k.length > L.paramNameMax) return undefined;
    if (
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v))
    )
      out[k] = v;
    else return undefined;
  }
  return out;
}

function templateOf(value: unknown): RequestTemplate | undefined {
  if (!plain(value) || !onlyKeys(value, TEMPLATE)) return undefined;
  const { url, method = 'GET' } = value;
  if (typeof url !== 'string' || url.length < 1 || url.length > L.urlMax) return undefined;
  if (typeof method !== 'string' || !METHODS.has(method)) return undefined;
  const headers = headersOf(value.headers);
  if (!headers) return undefined;
  const out: RequestTemplate = { url, method: method as HttpMethod, headers };
  if (Object.hasOwn(value, 'data')) out.data = value.data;
  if (value.params !== undefined) {
    if (!plain(value.params)) return undefined;
    const params = paramsOf(value.params);
    if (!params) return undefined;
    out.params = params;
  }
  return out;
}

function refOf(value: unknown): SecretRef | undefined {
  if (!plain(value) || !onlyKeys(value, REF)) return undefined;
  const { name, vaultId, itemId, itemKey } = value;
  if (typeof name !== 'string' || !SECRET_NAME_RE.test(name)) return undefined;
  if (typeof vaultId !== 'string' || !ID_RE.test(vaultId)) return undefined;
  if (typeof itemId !== 'string' || !ID_RE.test(itemId)) return undefined;
  if (typeof itemKey !== 'string' || !KEY32_RE.test(itemKey)) return undefined;
  return { name, vaultId, itemId, itemKey };
}

/** The ForwardRequest zod would return, or undefined: let zod decide. Exported for its test. */
export function fastForwardRequest(json: unknown): ForwardRequest | undefined {
  if (!plain(json) || !onlyKeys(json, TOP)) return undefined;
  const request = templateOf(json.request);
  if (!request) return undefined;
  const list = json.secrets;
  if (!Array.isArray(list) || list.length < 1 || list.length > L.secretsMax) return undefined;
  const secrets: SecretRef[] = [];
  for (const item of list) {
    const ref = refOf(item);
    if (!ref) return undefined;
    secrets.push(ref);
  }
  const out: ForwardRequest = { request, secrets };
  const { origin, queue, expires, poll } = json;
  if (origin !== undefined) {
    if (!shortString(origin, L.originMax)) return undefined;
    out.origin = origin;
  }
  if (queue !== undefined) {
    if (!shortString(queue, L.queueMax)) return undefined;
    out.queue = queue;
  }
  if (expires !== undefined) {
    if (!intIn(expires, 1, L.expiresMax)) return undefined;
    out.expires = expires;
  }
  if (poll !== undefined) {
    if (!intIn(poll, 0, Number.MAX_SAFE_INTEGER)) return undefined;
    out.poll = poll;
  }
  return out;
}
