// Issue #11: the extension's consent check, the request builder and the relay agree on the set of
// secrets a request uses, for arbitrary nested inputs in every part (url path and query, headers,
// params, data of any shape, data as JSON or form text). fast-check properties over the real code:
// planPageCall (extension), buildForwardRequest (SDK), precheck + buildOutgoing (relay, with the
// lookups it actually makes recorded). And deeper than the shared limit, all three refuse.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { planPageCall } from '../../extension/background/call-plan.js';
import { precheck } from '../../server/forward/precheck.js';
import { buildOutgoing } from '../../server/forward/substitute.js';
import { buildForwardRequest } from '../../shared/client/request.js';
import type { VaultStore } from '../../shared/client/vault-store.js';
import { KeyholeError } from '../../shared/errors.js';
import { MAX_DATA_DEPTH, resolveRef } from '../../shared/policy/index.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { memoryStore } from '../support/memory-vault.js';
import { fuzzRuns, fuzzTimeout, recordCases } from './runs.js';

const ORIGIN = 'https://app.agree.test';
const HOST = 'api.agree.test';

function plain(name: string): SecretPayload {
  return {
    name,
    type: 'plain',
    value: `value-${name}`,
    allowedHosts: [HOST],
    allowedOrigins: [ORIGIN],
    description: '',
  };
}

const TOKENS = [
  'x',
  ' ',
  '$CLIENT_SECRET',
  '$(secret:a)',
  '$(secret:b)',
  '$(secret:a.b)',
  '$(secret:t.f)',
  '$(secret:t.g)',
  '$(secret:c)',
];
const text = fc.array(fc.constantFrom(...TOKENS), { maxLength: 4 }).map((p) => p.join(''));
const key = fc.constantFrom('k', 'm', 'auth', 'messages', '0');
const { node } = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(key, tie('node'), { maxKeys: 3 }),
  ),
}));
const safePath = fc.constantFrom('x', '$CLIENT_SECRET', '$(secret:b)', '$(secret:t.f)', '');
const input = fc.record({
  path: safePath,
  query: safePath,
  headers: fc.dictionary(fc.constantFrom('x-a', 'authorization', 'x-b'), text, { maxKeys: 3 }),
  params: fc.dictionary(fc.constantFrom('p', 'q'), text, { maxKeys: 2 }),
  data: node,
  dataAs: fc.constantFrom('value', 'json', 'form'),
});

function names(list: readonly { name: string }[]): string[] {
  return [...new Set(list.map((s) => s.name))].sort();
}

describe('extension, builder and relay agree on the secrets of a request', () => {
  let store: VaultStore;
  beforeAll(async () => {
    store = await memoryStore([
      plain('a'),
      plain('b'),
      plain('a.b'),
      plain('c'),
      {
        ...plain('t'),
        type: 'template',
        value: undefined,
        fields: { f: 'tf-value', g: 'tg-value' },
      } as SecretPayload,
    ]);
  });

  it('the same set, for arbitrary nested inputs', { timeout: fuzzTimeout(2) }, () => {
    const runs = fuzzRuns();
    let compared = 0;
    fc.assert(
      fc.property(input, (i) => {
        const headers: Record<string, string> = { ...i.headers };
        let data: unknown = i.data;
        if (i.dataAs === 'json') data = JSON.stringify(i.data);
        if (i.dataAs === 'form') headers['content-type'] = 'application/x-www-form-urlencoded';
        const params = {
          clientSecretName: 'a',
          url: `https://${HOST}/p/${i.path}?q=${i.query}`,
          method: 'POST',
          headers,
          params: i.params,
          data,
        };
        let ext: string[] | KeyholeError;
        try {
          ext = names(
            planPageCall(store, ORIGIN, { op: 'request', params }).secrets.map((s) => s.payload),
          );
        } catch (err) {
          ext = err as KeyholeError;
        }
        let fwd;
        try {
          fwd = buildForwardRequest(store, { ...params, origin: ORIGIN });
        } catch (err) {
          // The builder refuses only what the extension's plan refuses or its checks refuse
          // (PLACEHOLDER_MISSING, INVALID_REQUEST); never a set it disagrees on.
          expect(err).toBeInstanceOf(KeyholeError);
          return;
        }
        expect(ext).toEqual(names(fwd.secrets));
        // The relay: the names its precheck resolves, and every lookup substitution makes.
        const relayNames = fwd.secrets.map((s) => s.name);
        const { used } = precheck(structuredClone(fwd));
        const looked = new Set<string>();
        buildOutgoing(fwd.request, (token) => {
          const name =
            token.ref === undefined ? relayNames[0]! : resolveRef(token.ref, relayNames)!.name;
          looked.add(name);
          return 'v';
        });
        for (const n of looked) expect(used.has(n)).toBe(true);
        expect([...new Set([relayNames[0]!, ...used])].sort()).toEqual(names(fwd.secrets));
        compared++;
      }),
      { numRuns: runs },
    );
    // Most inputs must reach the comparison (not be refused early), or the property says little.
    expect(compared).toBeGreaterThan(runs / 2);
    recordCases('consent.agreement', runs);
  });

  it(`deeper than ${MAX_DATA_DEPTH}: the extension, the builder and the relay all refuse`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_DATA_DEPTH + 1, max: MAX_DATA_DEPTH + 40 }),
        fc.boolean(),
        (depth, arrays) => {
          let data: unknown = '$(secret:b)';
          for (let d = 0; d < depth; d++) data = arrays ? [data] : { k: data };
          const params = {
            clientSecretName: 'a',
            url: `https://${HOST}/`,
            method: 'POST',
            headers: { authorization: '$CLIENT_SECRET' },
            data,
          };
          const code = (f: () => unknown) => {
            try {
              f();
              return 'ok';
            } catch (err) {
              return (err as KeyholeError).code;
            }
          };
          expect(code(() => planPageCall(store, ORIGIN, { op: 'request', params }))).toBe(
            'INVALID_REQUEST',
          );
          expect(code(() => buildForwardRequest(store, params))).toBe('INVALID_REQUEST');
          const request = {
            url: params.url,
            method: 'POST' as const,
            headers: params.headers,
            data,
          };
          expect(
            code(() =>
              precheck({
                request,
                secrets: [
                  { name: 'a', vaultId: 'v'.repeat(22), itemId: 'i'.repeat(22), itemKey: '' },
                ],
              }),
            ),
          ).toBe('INVALID_REQUEST');
          expect(code(() => buildOutgoing(request, () => 'v'))).toBe('INVALID_REQUEST');
        },
      ),
      { numRuns: 60 },
    );
  });
});
