// `hmac` secrets: the timestamp (and nonce) placed first where the API wants them, then an HMAC
// over a message built from the request as it will be sent, placed in a header or appended last
// to the query (docs/forward.md, "Signing and minting secrets").
import { createHmac, randomBytes } from 'node:crypto';
import type { HmacConfig } from '../../shared/protocol/secret-configs.js';
import type { OutgoingRequest } from './substitute.js';

function appendQuery(req: OutgoingRequest, name: string, value: string): void {
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  const q = req.path.indexOf('?');
  if (q === -1) req.path = `${req.path}?${pair}`;
  else if (q === req.path.length - 1 || req.path.endsWith('&')) req.path += pair;
  else req.path += `&${pair}`;
}

function queryOf(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? '' : path.slice(q + 1);
}

export function hmacKey(cfg: Pick<HmacConfig, 'key' | 'keyEncoding'>): Buffer {
  return Buffer.from(cfg.key, cfg.keyEncoding === 'utf8' ? 'utf8' : cfg.keyEncoding);
}

/** The message template filled in: each `{name}` replaced once, left to right. */
export function hmacMessage(template: string, vars: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (all, name: string) =>
    Object.hasOwn(vars, name) ? vars[name]! : all,
  );
}

/** Signs `req` in place. `nowMs` and `nonce` are injectable for tests. */
export function signHmac(
  req: OutgoingRequest,
  cfg: HmacConfig,
  nowMs: number = Date.now(),
  nonce: string = randomBytes(16).toString('hex'),
): void {
  const seconds = String(Math.floor(nowMs / 1000));
  const placed = cfg.timestampUnit === 'ms' ? String(Math.floor(nowMs)) : seconds;
  if (cfg.timestampHeader) req.headers[cfg.timestampHeader.toLowerCase()] = placed;
  if (cfg.timestampQuery) appendQuery(req, cfg.timestampQuery, placed);
  if (cfg.nonceHeader) req.headers[cfg.nonceHeader.toLowerCase()] = nonce;
  if (cfg.nonceQuery) appendQuery(req, cfg.nonceQuery, nonce);

  const message = hmacMessage(cfg.message, {
    method: req.method,
    path: req.path,
    query: queryOf(req.path),
    body: req.body ?? '',
    timestamp: seconds,
    timestampMs: String(Math.floor(nowMs)),
    nonce,
    host: req.dest.url.host,
  });
  const signature = createHmac(cfg.algorithm, hmacKey(cfg))
    .update(message, 'utf8')
    .digest(cfg.encoding);
  if (cfg.signatureHeader) req.headers[cfg.signatureHeader.toLowerCase()] = signature;
  else if (cfg.signatureQuery) appendQuery(req, cfg.signatureQuery, signature);
}
