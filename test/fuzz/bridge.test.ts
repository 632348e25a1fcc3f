// Fuzz: the bridge's input handling — what a hostile page can put on the wire. Message guards,
// form folding, the background's plan and checks of Skapi params and keyhole.fetch() templates (call-plan.ts), and the
// page-error builder: never a crash other than a page error code, no prototype pollution, and
// nothing the page sent (e.g. a secret it guessed) echoed back in an error message.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyholeError, PAGE_ERROR_CODES } from '../../shared/errors.js';
import { checkDestination } from '../../shared/policy/index.js';
import { planPageCall } from '../../extension/background/call-plan.js';
import { callerOrigin } from '../../extension/background/policy.js';
import type { FetchTemplate } from '../../extension/bridge/messages.js';
import { entriesToParams, splitFieldName } from '../../extension/bridge/form.js';
import { isCallMessage, isPageOp } from '../../extension/bridge/messages.js';
import { makePageError, pageErrorBody } from '../../extension/bridge/page-errors.js';
import type { VaultStore } from '../../shared/client/vault-store.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { memoryStore } from '../support/memory-vault.js';
import { fuzzRuns, fuzzTimeout, recordCases } from './runs.js';

const PAGE_CODES = new Set<string>(PAGE_ERROR_CODES);
const HOSTS = ['api.example.com', 'http://127.0.0.2:8080/v1', '*.example.org'];
const CANARY = 'sk-live-CANARY-1234567890';

/** What a page can send over a MessagePort: structured-cloneable values, not only JSON. */
const cloneable = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withBoxedValues: true,
});

function expectPageFailure(err: unknown, where: string): void {
  if (err instanceof KeyholeError && PAGE_CODES.has(err.code)) {
    expect(err.message).not.toContain(CANARY);
    return;
  }
  throw new Error(`${where}: unexpected failure ${String(err)}`);
}

const placeholderText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('$CLIENT_SECRET', 'Bearer $CLIENT_SECRET', '$(secret:k)', CANARY, 'a\r\nb: c'),
);
const urlArb = fc.oneof(
  fc.constantFrom(
    'https://api.example.com/v1/x',
    'https://api.example.com/$CLIENT_SECRET',
    'http://127.0.0.2:8080/v1/ok?k=$CLIENT_SECRET',
    'http://127.0.0.2:8080/v10',
    'https://a.example.org/',
    'https://api.example.com@evil.com/',
    'https://$CLIENT_SECRET.example.org/',
    'https://api.example.com\\@evil.com',
    'javascript:alert(1)',
  ),
  fc.webUrl(),
  fc.string({ maxLength: 40 }),
);
const paramsArb = fc.record(
  {
    clientSecretName: fc.oneof(
      fc.constantFrom('k', 'openai', ''),
      fc.string({ maxLength: 10 }),
      cloneable,
    ),
    url: fc.oneof({ weight: 5, arbitrary: urlArb }, { weight: 1, arbitrary: cloneable }),
    method: fc.oneof(fc.constantFrom('get', 'POST', 'TRACE', 'delete'), cloneable),
    headers: fc.oneof(
      fc.dictionary(
        fc.string({ maxLength: 10 }),
        fc.oneof(placeholderText, fc.integer(), fc.boolean()),
      ),
      cloneable,
    ),
    data: fc.oneof(
      placeholderText,
      fc.dictionary(fc.string({ maxLength: 6 }), placeholderText),
      cloneable,
    ),
    params: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), placeholderText), cloneable),
    poll: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), cloneable),
    expires: fc.oneof(fc.integer({ min: -5, max: 100_000 }), cloneable),
    queue: fc.oneof(fc.string({ maxLength: 140 }), cloneable),
    stream: cloneable,
  },
  { requiredKeys: [] },
);

const ORIGIN = 'https://app.example';
const payload = (name: string): SecretPayload => ({
  name,
  type: 'plain',
  value: CANARY,
  allowedHosts: HOSTS,
  allowedOrigins: [],
  description: '',
});

/** What production does with a page op (call-plan.ts): plan, check the plan, build the request. */
function planAndCheck(
  store: VaultStore,
  op: { op: 'request'; params: Record<string, unknown> } | { op: 'fetch'; request: FetchTemplate },
): ForwardRequest {
  const plan = planPageCall(store, ORIGIN, op);
  plan.check();
  return plan.forwardRequest();
}

describe('fuzz: bridge input handling', { timeout: fuzzTimeout() }, () => {
  const runs = fuzzRuns();
  let store: VaultStore;
  beforeAll(async () => {
    // 'k.x' next to 'k': a ref `$(secret:k.x)` must resolve to one or the other, never both.
    store = await memoryStore([payload('k'), payload('k.x'), payload('openai')]);
  });

  it('message guards accept only the exact shapes and never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          cloneable,
          fc.record({ type: fc.constantFrom('keyhole:call'), id: cloneable }),
          fc.record({
            op: fc.constantFrom('request', 'fetch', 'has', 'cancel', 'x'),
            params: cloneable,
            request: cloneable,
            name: cloneable,
          }),
        ),
        (data) => {
          if (isCallMessage(data)) {
            expect(Object.keys(data)).toHaveLength(2);
            expect(typeof data.id).toBe('string');
          }
          if (isPageOp(data)) expect(['request', 'fetch', 'has', 'cancel']).toContain(data.op);
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.message-guards', runs);
  });

  it('form fields fold into params without prototype pollution', () => {
    const name = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom('__proto__', 'constructor', 'prototype', 'headers', 'data', ''),
            fc.string({ maxLength: 6 }),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        )
        .map(([first, ...rest]) => `${first}${rest.map((r) => `[${r}]`).join('')}`),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name,
            value: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()),
          }),
          { maxLength: 10 },
        ),
        (entries) => {
          for (const e of entries) splitFieldName(e.name);
          const out = entriesToParams(entries);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
          JSON.stringify(out);
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.form-fields', runs);
  });

  it('page requests: only page error codes, and what passes is on the allowed list', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        let ok: ForwardRequest;
        try {
          ok = planAndCheck(store, { op: 'request', params: params as Record<string, unknown> });
        } catch (err) {
          expectPageFailure(err, 'planPageCall (request)');
          return;
        }
        expect(() => checkDestination(ok.request.url, HOSTS)).not.toThrow();
        expect(typeof ok.secrets[0]?.name).toBe('string');
      }),
      { numRuns: runs },
    );
    recordCases('bridge.page-request', runs);
  });

  it('keyhole.fetch() templates never crash outside the error table', () => {
    fc.assert(
      fc.property(
        fc.record({
          url: urlArb,
          method: fc.oneof(fc.constantFrom('GET', 'post', 'BREW'), fc.string({ maxLength: 6 })),
          headers: fc.dictionary(fc.string({ maxLength: 10 }), placeholderText),
          body: fc.option(placeholderText, { nil: undefined }),
        }),
        (t) => {
          let ok: ForwardRequest;
          try {
            ok = planAndCheck(store, { op: 'fetch', request: t });
          } catch (err) {
            expectPageFailure(err, 'planPageCall (fetch)');
            return;
          }
          expect(() => checkDestination(ok.request.url, HOSTS)).not.toThrow();
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.fetch-template', runs);
  });

  it('keyhole.fetch() templates with fields of any cloneable type are refused cleanly', () => {
    fc.assert(
      fc.property(
        fc.record({
          url: fc.oneof(urlArb, cloneable),
          method: cloneable,
          headers: cloneable,
          body: cloneable,
        }),
        (t) => {
          try {
            planAndCheck(store, { op: 'fetch', request: t as unknown as FetchTemplate });
          } catch (err) {
            expectPageFailure(err, 'fetch template');
          }
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.fetch-template', runs);
  });

  it('page errors carry a page code and a fixed message, never what came in', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          cloneable,
          fc.constantFrom(...PAGE_ERROR_CODES, 'INTERNAL', 'UNAUTHENTICATED', CANARY),
        ),
        cloneable,
        (code, extra) => {
          const body = pageErrorBody(code, { status: 502, body: extra });
          expect(PAGE_CODES.has(body.code)).toBe(true);
          expect(body.message).not.toContain(CANARY);
          const err = makePageError({
            code: typeof code === 'string' ? code : 'X',
            message: `${CANARY} in a message`,
            status: 500,
            body: extra,
          });
          expect(PAGE_CODES.has(err.code)).toBe(true);
          expect(err.message).not.toContain(CANARY);
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.page-errors', runs);
  });

  it('the caller origin comes only from a well-formed sender', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            id: fc.constantFrom('ext-id', 'other', ''),
            origin: fc.oneof(
              fc.webUrl().map((u) => new URL(u).origin),
              fc.string({ maxLength: 20 }),
              fc.constant('null'),
            ),
            url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })),
            tab: fc.option(fc.record({ id: fc.integer() }), { nil: undefined }),
          },
          { requiredKeys: [] },
        ),
        (sender) => {
          const origin = callerOrigin(sender, 'ext-id');
          if (origin !== null) expect(origin).toMatch(/^https?:\/\/[^/]+$/);
        },
      ),
      { numRuns: runs },
    );
    recordCases('bridge.caller-origin', runs);
  });
});
