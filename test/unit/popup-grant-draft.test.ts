// The popup's grant form (extension/popup/grant-draft.ts): problems point at the form's own field
// ids, hidden fields are not sent, an end date is a real instant, the snippet is ready to paste,
// and the background's refusals are explained in words with the field marked.
import { describe, expect, it } from 'vitest';
import {
  checkGrantDraft,
  emptyGrantDraft,
  grantInputOf,
  grantLimits,
  grantProblem,
  grantSnippet,
  type GrantDraft,
} from '../../extension/popup/grant-draft.js';
import { explain } from '../../extension/ui/explain.js';
import type { GrantView } from '../../extension/ui/grant-protocol.js';
import { UiError } from '../../extension/ui/send.js';

const draft = (d: Partial<GrantDraft>): GrantDraft => ({
  ...emptyGrantDraft(),
  origins: 'https://shop.example',
  ...d,
});

const problemOf = (d: Partial<GrantDraft>) => {
  const r = checkGrantDraft(draft(d));
  if (r.ok) throw new Error('accepted');
  return r.problem;
};

describe('grant form', () => {
  it('points each problem at the form field (grant-*) with the shared message', () => {
    expect(problemOf({ origins: 'shop.example' })).toMatchObject({
      field: 'grant-origins',
      text: expect.stringContaining('add the scheme'),
    });
    expect(problemOf({ quota: '0' }).field).toBe('grant-quota');
    expect(problemOf({ maxBody: 'big' }).field).toBe('grant-max-body');
    expect(problemOf({ ends: 'after', duration: '' })).toMatchObject({
      field: 'grant-expires',
      text: expect.stringContaining('30d'),
    });
    expect(problemOf({ ends: 'at', endsAt: '' }).field).toBe('grant-expires');
    expect(problemOf({ ends: 'at', endsAt: '2020-01-01T10:00' }).text).toMatch(/future/);
    expect(problemOf({ locked: true }).field).toBe('grant-jwks');
  });

  it('sends what is shown: one origin/path per line, ticked methods, no hidden fields', () => {
    const input = grantInputOf(
      draft({
        origins: 'https://a.example\nhttps://b.example, https://c.example',
        paths: '/v1/chat\n\n/v1/embeddings',
        methods: ['POST'],
        jwks: 'https://left.over/jwks',
        issuer: 'left over',
        ends: 'never',
        duration: '30d',
      }),
    );
    expect(input).toMatchObject({
      origins: ['https://a.example', 'https://b.example', 'https://c.example'],
      paths: ['/v1/chat', '/v1/embeddings'],
      methods: ['POST'],
      locked: false,
    });
    expect(input).not.toHaveProperty('jwks');
    expect(input).not.toHaveProperty('expires');
    expect(checkGrantDraft(draft({ jwks: 'https://left.over/jwks' })).ok).toBe(true);
  });

  it('an end date is the instant the browser reads from the datetime field', () => {
    const at = new Date(Date.now() + 86_400_000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    const r = checkGrantDraft(draft({ ends: 'at', endsAt: local }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(Math.abs(r.input.expiresAt! - at.getTime())).toBeLessThan(60_000);
  });

  it('the snippet is the connect() call to paste, quoting names that are not identifiers', () => {
    expect(grantSnippet('https://relay.example/', 'openai', 'khg_T0K')).toBe(
      "import { connect } from 'https://relay.example/v1/web.js';\n" +
        "const keyhole = connect({ relay: 'https://relay.example', grants: { openai: 'khg_T0K' } });",
    );
    expect(grantSnippet('https://r.example', 'my-key', 'khg_T')).toContain(
      `grants: { "my-key": 'khg_T' }`,
    );
    expect(grantSnippet('https://r.example', 'k', 'khg_T', true)).toContain('idToken:');
  });

  it('limits in words', () => {
    const g = {
      methods: [],
      paths: ['/v1'],
      ratePerMinute: 10,
      quotaPerDay: null,
    } as unknown as GrantView;
    expect(grantLimits(g)).toEqual([
      'any method',
      'paths /v1',
      '10/min per visitor',
      'no daily quota',
    ]);
  });

  it('a refusal from the background is explained and pointed at the form field', () => {
    const err = new UiError(
      'INVALID_REQUEST',
      '"shop.example" is not an exact origin: add the scheme: http://shop.example or https://shop.example.',
      'field:origins',
    );
    const p = grantProblem(explain(err, 'grant'));
    expect(p).toMatchObject({ field: 'grant-origins', text: err.message });
    expect(explain(new UiError('RELAY_UNAVAILABLE', 'x'), 'grant', 'http://r:1').text).toMatch(
      /Is it running\?/,
    );
    expect(
      explain(
        new UiError('FORBIDDEN', "Only the grant's creator or a vault owner/admin may revoke it."),
        'grant',
      ).text,
    ).toContain('creator');
    expect(explain(new UiError('NOT_FOUND', 'No such grant.'), 'grant').text).toMatch(/Refresh/);
  });
});
