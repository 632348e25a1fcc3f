// Per-step cost of one forward's own work, in process (issue #16): the bench's request (bearer,
// GET, two headers) through each step N times; µs per call, median of 5 batches.
//   node --import tsx test/bench/micro-forward.ts
import {
  encryptItem,
  initCrypto,
  newId,
  randomBytes,
  toBase64url,
} from '../../shared/crypto/index.js';
import { ForwardRequest } from '../../shared/protocol/forward.js';
import { buildRequest } from '../../server/forward/build-request.js';
import { responseHeaders } from '../../server/forward/headers.js';
import { precheck } from '../../server/forward/precheck.js';
import { Scrubber } from '../../server/forward/scrub.js';
import { checkSecretPolicy } from '../../server/forward/secret-policy.js';
import { openItem } from '../../server/forward/secrets.js';
import { parseWith } from '../../server/http/validate.js';
import { bearerTokenHash } from '../../server/middleware/session.js';

await initCrypto();
const vaultKey = randomBytes(32);
const vaultId = newId();
const itemId = newId();
const SECRET = 'sk-bench-4b1d7e0c9a2f6e3d8c5b';
const enc = encryptItem(vaultKey, vaultId, itemId, {
  name: 'bench',
  type: 'bearer',
  value: SECRET,
  allowedHosts: ['http://127.0.0.2:4000'],
  allowedOrigins: [],
  description: '',
});
const itemKey = toBase64url(enc.itemKey);
const text = JSON.stringify({
  request: {
    url: 'http://127.0.0.2:4000/json',
    method: 'GET',
    headers: { Authorization: 'Bearer $CLIENT_SECRET', Accept: 'application/json' },
  },
  secrets: [{ name: 'bench', vaultId, itemId, itemKey }],
  origin: 'https://bench.example',
});
const upstreamHeaders = {
  'content-type': 'application/json',
  'content-length': '1000',
  date: new Date().toUTCString(),
  connection: 'keep-alive',
  'keep-alive': 'timeout=60',
};
const ctx = { oauth: {} as never, minted: {} as never };

function time(name: string, n: number, fn: () => unknown): void {
  const batches: number[] = [];
  for (let b = 0; b < 6; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    batches.push(((performance.now() - t0) * 1000) / n);
  }
  batches.shift();
  batches.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${batches[2]!.toFixed(2).padStart(7)} µs`);
}
const N = Number(process.env.N ?? 20000);
const parsed = () => parseWith(ForwardRequest, JSON.parse(text), 'body');
const opened = () => {
  const req = parsed();
  const t = precheck(req);
  const { payload, keyHash } = openItem(req.secrets[0]!, enc.data);
  return { req, t, list: [{ name: 'bench', vaultId, itemId, payload, keyHash }] };
};
time('JSON.parse', N, () => JSON.parse(text));
time('JSON.parse + zod', N, parsed);
time('bearerTokenHash', N, () =>
  bearerTokenHash('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'),
);
const req0 = parsed();
time('precheck', N, () => precheck(req0));
time('openItem (decrypt)', N, () => openItem({ ...req0.secrets[0]!, itemKey }, enc.data));
const o = opened();
time('checkSecretPolicy', N, () => checkSecretPolicy(o.req, o.t, o.list));
const rules = checkSecretPolicy(o.req, o.t, o.list);
let sink = 0;
time('buildRequest', N, () => {
  void buildRequest(ctx, o.req, o.t, o.list, rules).then(() => sink++);
});
time('new Scrubber([value])', N, () => new Scrubber([SECRET]));
const scr = new Scrubber([SECRET]);
time('responseHeaders', N, () => responseHeaders(upstreamHeaders, (v) => scr.scrubString(v)));
const body = Buffer.alloc(1000, 'a');
time('scrubber.push 1 KB + end', N, () => {
  const s = new Scrubber([SECRET]);
  s.push(body);
  s.end();
});
const { parseForwardBody } = await import('../../server/routes/forward/forward-body.js');
time('parseForwardBody (hand check)', N, () => parseForwardBody(text));
const { secretForms } = await import('../../server/forward/scrub.js');
time('secretForms', N, () => secretForms(SECRET));
