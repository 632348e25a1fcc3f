// The forwarding endpoint: a request template plus the item keys that open exactly the secrets
// it uses (docs/protocol.md, "Forward").
import { z } from 'zod';
import { Id, Key32 } from './common.js';
import { HTTP_METHODS } from './methods.js';
import { SecretName } from './secret.js';

export { HTTP_METHODS };
export const HttpMethod = z.enum(HTTP_METHODS);

/**
 * The forward body's bounds, read by the schema below and by the relay's hand check of the common
 * shape (server/routes/forward/forward-body.ts), so the two cannot drift apart.
 */
export const FORWARD_LIMITS = {
  urlMax: 8192,
  headerNameMax: 256,
  headerValueMax: 16_384,
  paramNameMax: 256,
  secretsMax: 8,
  originMax: 300,
  queueMax: 128,
  expiresMax: 86_400,
} as const;
const L = FORWARD_LIMITS;

export const ParamValue = z.union([z.string(), z.number(), z.boolean()]);

/** The request template, as a page writes it (Skapi's fields). */
export const RequestTemplate = z.object({
  url: z.string().min(1).max(L.urlMax),
  method: HttpMethod.default('GET'),
  headers: z.record(z.string().max(L.headerNameMax), z.string().max(L.headerValueMax)).default({}),
  /** JSON value (sent as JSON) or a string (sent as is) */
  data: z.unknown().optional(),
  params: z.record(z.string().max(L.paramNameMax), ParamValue).optional(),
});

/** One secret the template uses, and the key that opens exactly that item. */
export const SecretRef = z.object({
  /** the name used in `$(secret:NAME)`; the first ref is also `$CLIENT_SECRET` */
  name: SecretName,
  vaultId: Id,
  itemId: Id,
  itemKey: Key32,
});

export const ForwardRequest = z.object({
  request: RequestTemplate,
  secrets: z.array(SecretRef).min(1).max(L.secretsMax),
  /** the calling page's origin, as the browser reported it to the extension (for the audit log) */
  origin: z.string().max(L.originMax).optional(),
  /** Skapi: queued requests with the same (url, method, queue) run one at a time, in order */
  queue: z.string().max(L.queueMax).optional(),
  /** Skapi: seconds the request record is kept for polling */
  expires: z.number().int().min(1).max(L.expiresMax).optional(),
  /** Skapi: when set, the relay answers 202 with a request id to poll instead of the response */
  poll: z.number().int().min(0).optional(),
});

/** 202 answer for queued / polled requests; GET /v1/forward/requests/:id returns the same shape. */
export const ForwardTicket = z.object({
  requestId: z.string(),
  state: z.enum(['queued', 'running', 'done', 'failed']),
  expiresAt: z.number().int(),
  /** when done: the upstream answer (already scrubbed) */
  response: z
    .object({
      status: z.number().int(),
      headers: z.record(z.string(), z.string()),
      body: z.string(),
    })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/**
 * `origin` of a request sent for a script or an agent (`agent:serve`, `agent:run`, `agent:mcp`):
 * the relay then also requires every secret it opens to be enabled for agents (`agent: true`).
 */
export const AGENT_ORIGIN_PREFIX = 'agent:';

export function isAgentOrigin(origin: string | undefined): boolean {
  return origin !== undefined && origin.startsWith(AGENT_ORIGIN_PREFIX);
}

/** Header on every relay answer that is the relay's own error rather than the upstream's. */
export const RELAY_ERROR_HEADER = 'keyhole-error';

/**
 * Headers about one connection and its framing (RFC 9110 §7.6.1, §6.4): a forwarder that opens its
 * own connection and re-frames the body never copies them, in either direction. The relay
 * (server/forward/headers.ts) and `keyhole serve` (cli/agent/endpoint.ts) add their own to these.
 */
export const CONNECTION_HEADERS = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'te',
  'trailer',
  'upgrade',
] as const;

export type HttpMethod = z.infer<typeof HttpMethod>;
export type RequestTemplate = z.infer<typeof RequestTemplate>;
export type SecretRef = z.infer<typeof SecretRef>;
export type ForwardRequest = z.infer<typeof ForwardRequest>;
export type ForwardTicket = z.infer<typeof ForwardTicket>;
