// Which strings of a secret's payload are secret, for the nets that cut them out of what comes
// back: the client's decoded scrub (decoded-scrub.ts) and `keyhole run`'s output mask
// (cli/agent/mask.ts). One list, so a field added to a secret type is public or secret for both
// (docs/threat-model.md, "Placement is the boundary, scrubbing is the net").

/** Payload keys whose strings are never secret: policy, names, algorithm choices, endpoints. */
export const PUBLIC_PAYLOAD_KEYS: ReadonlySet<string> = new Set([
  'name',
  'type',
  'allowedHosts',
  'allowedOrigins',
  'description',
  'agent',
  'placement',
  'place',
  'review',
  'grant',
  'tokenUrl',
  'clientId',
  'scope',
  'region',
  'service',
  'accessKeyId',
  'algorithm',
  'keyEncoding',
  'encoding',
  'message',
  'signatureHeader',
  'signatureQuery',
  'timestampHeader',
  'timestampQuery',
  'issuer',
  'subject',
  'audience',
  'appId',
  'installationId',
  'baseUrl',
  'username',
  // a Google service-account key file's public fields
  'client_email',
  'client_id',
  'token_uri',
  'auth_uri',
  'project_id',
  'universe_domain',
  'auth_provider_x509_cert_url',
  'client_x509_cert_url',
]);

/**
 * Every string leaf of `payload` not under a public key, to depth 8. A template's `fields` and an
 * hmac secret's `hmac.fields` are all secret whatever their names (a field may be called `region`
 * or `username`): the relay scrubs every one of them too (server/forward/values.ts).
 */
export function secretStrings(payload: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string, depth: number, anyKey: boolean): void => {
    if (depth > 8 || (!anyKey && PUBLIC_PAYLOAD_KEYS.has(key))) return;
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (const v of value) walk(v, key, depth + 1, anyKey);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        walk(v, k, depth + 1, anyKey || (k === 'fields' && (depth === 0 || key === 'hmac')));
      }
    }
  };
  walk(payload, '', 0, false);
  return out;
}

/** basic: the `username:password` pair the relay base64-encodes into the header. */
export function basicPair(payload: unknown): string | undefined {
  const p = payload as { type?: unknown; username?: unknown; password?: unknown } | null;
  if (p?.type !== 'basic' || typeof p.password !== 'string') return undefined;
  return `${typeof p.username === 'string' ? p.username : ''}:${p.password}`;
}
