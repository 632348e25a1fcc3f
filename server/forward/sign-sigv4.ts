// `sigv4` secrets: AWS Signature V4 over the request exactly as it will be sent (after
// substitution), with the AWS SDK's own signer (@smithy/signature-v4) — never by hand.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Sigv4Config } from '../../shared/protocol/secret-configs.js';
import type { OutgoingRequest } from './substitute.js';

/** The SHA-256 constructor the signer wants (`new (secret?) => Checksum`), from @smithy/hash-node. */
class Sha256 extends Hash {
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    super('sha256', secret);
  }
}

/** Headers the signer sets: whatever the caller sent under these names is dropped first. */
const SIGNER_HEADERS = new Set([
  'authorization',
  'x-amz-date',
  'date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/**
 * Query parameters as SigV4 canonicalises them: the raw `a=b&c` split and percent-decoded (no `+`
 * to space: AWS reads `+` literally), repeated names kept as lists.
 */
export function decodeQuery(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const text = search.startsWith('?') ? search.slice(1) : search;
  if (text === '') return out;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = safeDecode(eq === -1 ? part : part.slice(0, eq));
    const v = eq === -1 ? '' : safeDecode(part.slice(eq + 1));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

/** RFC 3986 encoding (what SigV4 calls UriEncode): only A-Z a-z 0-9 - _ . ~ stay as they are. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * S3 signs the object key as it canonicalises it (decoded, then each segment encoded per RFC
 * 3986, `/` kept), not as the bytes arrived: a path that WHATWG leaves with `(`, `:` or `@` raw would not
 * match. The relay therefore sends the path in exactly that encoding (the same key) and signs it.
 */
export function s3Path(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) =>
      // An encoded slash is a slash to S3 (the same key): it is sent as one.
      safeDecode(segment)
        .split('/')
        // Dot segments are refused before this (docs/forward.md); never create one by decoding.
        .map((part) =>
          part === '.' || part === '..' ? part.replaceAll('.', '%2E') : uriEncode(part),
        )
        .join('/'),
    )
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Signs `req` in place: Host (the destination's own), X-Amz-Date, X-Amz-Content-Sha256 (the body's
 * SHA-256, or UNSIGNED-PAYLOAD when the caller asked for it), X-Amz-Security-Token when the item
 * has one, Authorization. The body is always whole in memory here, so it is always hashed unless
 * the caller explicitly chose UNSIGNED-PAYLOAD (S3 allows it).
 */
export async function signSigv4(
  req: OutgoingRequest,
  cfg: Sigv4Config,
  now: Date = new Date(),
): Promise<void> {
  const unsigned = req.headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!SIGNER_HEADERS.has(k)) headers[k] = v;
  headers.host = req.dest.url.host;
  if (unsigned) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';

  const url = req.dest.url;
  let path = url.pathname;
  if (cfg.service === 's3') {
    path = s3Path(url.pathname);
    req.path = `${path}${url.search}`;
  }
  const http = new HttpRequest({
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' ? { port: Number(url.port) } : {}),
    path,
    query: decodeQuery(url.search),
    headers,
    ...(req.body !== null ? { body: req.body } : {}),
  });
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
      ...(cfg.sessionToken !== undefined ? { sessionToken: cfg.sessionToken } : {}),
    },
    region: cfg.region,
    service: cfg.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service encodes it once more (SigV4 spec).
    uriEscapePath: cfg.service !== 's3',
    applyChecksum: true,
  });
  const signed = await signer.sign(http, { signingDate: now });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k.toLowerCase()] = String(v);
  req.headers = out;
}
