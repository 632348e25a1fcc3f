import { ForwardRequest } from '../../shared/protocol/forward.js';
import { SecretPayload } from '../../shared/protocol/secret.js';
import { decryptItemData, encryptItem, initCrypto, newId, randomBytes, fromBase64url, toBase64url } from '../../shared/crypto/index.js';
import { secretForms } from '../../server/relay/scrub.js';
import { checkDestination, parseDestination, isDestinationAllowed } from '../../shared/policy/index.js';
import { buildOutgoing } from '../../server/relay/substitute.js';
await initCrypto();
const vaultId = newId(), itemId = newId();
const payload = { name: 'b', type: 'bearer' as const, value: 'sk-abcdefabcdef', allowedHosts: ['http://127.0.0.2:9000'], allowedOrigins: [], description: '' };
const enc = encryptItem(randomBytes(32), vaultId, itemId, payload);
const body = { request: { url: 'http://127.0.0.2:9000/json', method: 'GET', headers: { Authorization: 'Bearer $CLIENT_SECRET', Accept: 'application/json' } }, secrets: [{ name: 'b', vaultId, itemId, itemKey: toBase64url(enc.itemKey) }], origin: 'https://x.example' };
const text = JSON.stringify(body);
function bench(label: string, fn: () => void, n = 20000) {
  for (let i = 0; i < 2000; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  console.log(label.padEnd(30), (((performance.now() - t0) * 1000) / n).toFixed(2), 'µs');
}
bench('JSON.parse', () => JSON.parse(text));
bench('ForwardRequest.safeParse', () => ForwardRequest.safeParse(JSON.parse(text)));
bench('SecretPayload.safeParse', () => SecretPayload.safeParse(payload));
bench('decryptItemData', () => decryptItemData(fromBase64url(body.secrets[0]!.itemKey), vaultId, itemId, enc.data));
bench('secretForms', () => secretForms('sk-abcdefabcdef'));
bench('parseDestination', () => parseDestination('http://127.0.0.2:9000/json'));
const d = parseDestination('http://127.0.0.2:9000/json');
bench('isDestinationAllowed', () => isDestinationAllowed(d, payload.allowedHosts));
bench('checkDestination', () => checkDestination('http://127.0.0.2:9000/json', payload.allowedHosts));
const tpl = ForwardRequest.parse(body).request;
bench('buildOutgoing', () => buildOutgoing(tpl, () => 'sk-abcdefabcdef'));
