// Fuzz: the hand check of POST /v1/forward's body (server/routes/forward/forward-body.ts) answers
// only what the zod schema (the contract, shared/protocol/forward.ts) answers: on arbitrary and on
// nearly valid input, it either leaves the decision to zod or returns exactly zod's result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ForwardRequest } from '../../shared/protocol/forward.js';
import { fastForwardRequest } from '../../server/routes/forward/forward-body.js';
import { fuzzRuns, recordCases } from './runs.js';

const id = fc.stringMatching(/^[A-Za-z0-9_-]{21,23}$/);
const key = fc.stringMatching(/^[A-Za-z0-9_-]{42,44}$/);
const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,64}$/), fc.string());
const str = (max: number) =>
  fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: max - 1, maxLength: max + 1 }));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const weirdKey = fc.constantFrom('__proto__', 'constructor', 'extra', '', 'x'.repeat(257));
const record = (value: fc.Arbitrary<unknown>) =>
  fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), weirdKey), value, { maxKeys: 4 });

const ref = fc.record(
  { name, vaultId: id, itemId: id, itemKey: key, extra: anyJson },
  { requiredKeys: ['name', 'vaultId', 'itemId', 'itemKey'] },
);
const template = fc.record(
  {
    url: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(''), str(8192)),
    method: fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'get', 'TRACE'),
      anyJson,
    ),
    headers: fc.oneof(record(fc.oneof(fc.string({ maxLength: 10 }), str(16_384))), anyJson),
    data: anyJson,
    params: fc.oneof(record(fc.oneof(fc.string(), fc.double(), fc.boolean(), anyJson)), anyJson),
    extra: anyJson,
  },
  { requiredKeys: ['url'] },
);
const body = fc.record(
  {
    request: fc.oneof(template, anyJson),
    secrets: fc.oneof(fc.array(fc.oneof(ref, anyJson), { maxLength: 9 }), anyJson),
    origin: fc.oneof(str(300), anyJson),
    queue: fc.oneof(str(128), anyJson),
    expires: fc.oneof(fc.integer({ min: -2, max: 86_402 }), fc.double(), anyJson),
    poll: fc.oneof(fc.integer({ min: -2 }), fc.double(), fc.constant(2 ** 60), anyJson),
    junk: anyJson,
  },
  { requiredKeys: [] },
);

/** A string of the limit's length, or one more. */
const edge = (max: number) => fc.constantFrom('a'.repeat(max), 'b'.repeat(max + 1));
/** Mostly `normal`, sometimes a string at the limit or just over it. */
const orEdge = (normal: fc.Arbitrary<string>, max: number) =>
  fc.oneof({ arbitrary: normal, weight: 12 }, { arbitrary: edge(max), weight: 1 });
// Mostly valid bodies, so that the hand check has cases to decide (compared field by field).
const ok = {
  id: fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
  key: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
};
const validRef = fc.record({ name: ok.name, vaultId: ok.id, itemId: ok.id, itemKey: ok.key });
const validBody = fc.record(
  {
    request: fc.record(
      {
        url: orEdge(fc.string({ minLength: 1, maxLength: 40 }), 8192),
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
        headers: fc.dictionary(
          orEdge(fc.string({ maxLength: 8 }), 256),
          orEdge(fc.string({ maxLength: 10 }), 16_384),
        ),
        data: anyJson,
        params: fc.dictionary(
          orEdge(fc.string({ maxLength: 8 }), 256),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
      },
      { requiredKeys: ['url'] },
    ),
    secrets: fc.array(validRef, { minLength: 1, maxLength: 8 }),
    origin: orEdge(fc.string({ maxLength: 30 }), 300),
    queue: orEdge(fc.string({ maxLength: 30 }), 128),
    expires: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 86_400 }), weight: 8 },
      { arbitrary: fc.constantFrom(0, 86_401, 1.5), weight: 1 },
    ),
    poll: fc.oneof(
      { arbitrary: fc.nat(), weight: 8 },
      { arbitrary: fc.constantFrom(-1, 0.5, 2 ** 60), weight: 1 },
    ),
  },
  { requiredKeys: ['request', 'secrets'] },
);
/** A valid body with one field, anywhere, replaced by something else. */
const nearlyValid = fc.tuple(validBody, fc.nat(), anyJson).map(([b, at, other]) => {
  const paths: Array<[Record<string, unknown>, string]> = [];
  const walk = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) {
      paths.push([o, k]);
      const v = o[k];
      if (typeof v === 'object' && v !== null) walk(v as Record<string, unknown>);
    }
  };
  walk(b as unknown as Record<string, unknown>);
  if (paths.length > 0) {
    const [o, k] = paths[at % paths.length]!;
    o[k] = other;
  }
  return b;
});

/** What JSON.parse would give the relay (own `__proto__` keys included). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

let decided = 0;
function agrees(input: unknown): void {
  const fast = fastForwardRequest(input);
  if (fast === undefined) return;
  decided += 1;
  const zod = ForwardRequest.safeParse(input);
  expect(zod.success).toBe(true);
  expect(fast).toStrictEqual(zod.data);
}

describe('forward body: the hand check agrees with the zod schema', () => {
  it('accepts the common shape, with zod’s defaults', () => {
    const input = {
      request: { url: 'https://api.example.com/x', headers: { A: '$CLIENT_SECRET' } },
      secrets: [
        { name: 'a', vaultId: 'v'.repeat(22), itemId: 'i'.repeat(22), itemKey: 'k'.repeat(43) },
      ],
    };
    expect(fastForwardRequest(input)).toStrictEqual(ForwardRequest.parse(input));
    expect(fastForwardRequest(input)?.request.method).toBe('GET');
    const proto = JSON.parse('{"request":{"url":"x","headers":{"__proto__":"y"}},"secrets":[]}');
    expect(fastForwardRequest(proto)).toBeUndefined();
  });

  it('property: undefined (zod decides) or exactly what zod returns', () => {
    const runs = fuzzRuns();
    fc.assert(
      fc.property(fc.oneof(validBody, nearlyValid, body), (b) => {
        agrees(b);
        agrees(viaJson(b));
      }),
      { numRuns: runs },
    );
    fc.assert(fc.property(anyJson, agrees), { numRuns: runs });
    // The hand check must have decided a good share of the cases, or the comparison says little.
    expect(decided).toBeGreaterThan(runs / 20);
    recordCases('forward body hand check vs zod', 2 * runs);
  });
});
