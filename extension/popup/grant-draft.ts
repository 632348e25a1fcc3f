// The grant form's state (exactly what was typed, kept across failures), its check — the shared
// checkGrantInput the CLI runs on its flags, so both say the same thing — and what the popup
// shows of a grant: its limits in words and the snippet to paste into the site's page.
import {
  checkGrantInput,
  type GrantField,
  type GrantInput,
} from '../../shared/policy/grant-input.js';
import { HTTP_METHODS } from '../../shared/protocol/methods.js';
import type { Problem } from '../ui/explain.js';
import type { GrantView } from '../ui/grant-protocol.js';
import { splitList } from './secret-draft.js';

export const GRANT_METHODS = HTTP_METHODS;

export interface GrantDraft {
  /** one origin per line (commas also split) */
  origins: string;
  /** ticked methods; none: any method */
  methods: string[];
  /** one path prefix per line */
  paths: string;
  rate: string;
  quota: string;
  /** never: until revoked; after: a duration (30d); at: a date and time */
  ends: 'never' | 'after' | 'at';
  /** N followed by s, m, h or d */
  duration: string;
  /** a datetime-local value (the browser's time zone) */
  endsAt: string;
  maxBody: string;
  locked: boolean;
  jwks: string;
  issuer: string;
  audience: string;
}

export function emptyGrantDraft(): GrantDraft {
  return {
    origins: '',
    methods: [],
    paths: '',
    rate: '',
    quota: '',
    ends: 'never',
    duration: '',
    endsAt: '',
    maxBody: '',
    locked: false,
    jwks: '',
    issuer: '',
    audience: '',
  };
}

/** The form field (its DOM id and data-field) a shared GrantField problem is about. */
export const grantFieldId = (f: GrantField | string): string => `grant-${f}`;

/** A problem from the background (field named as in GrantField) pointed at the form's field. */
export function grantProblem(p: Problem | null): Problem | null {
  if (!p?.field || p.field.startsWith('grant-')) return p;
  return { ...p, field: grantFieldId(p.field) };
}

/** What is sent: the typed text as the shared check reads it (hidden fields are left out). */
export function grantInputOf(d: GrantDraft): GrantInput {
  const input: GrantInput = {
    origins: splitList(d.origins),
    methods: d.methods,
    paths: splitList(d.paths),
    rate: d.rate,
    quota: d.quota,
    maxBody: d.maxBody,
    locked: d.locked,
  };
  if (d.ends === 'after') input.expires = d.duration;
  if (d.ends === 'at') input.expiresAt = d.endsAt ? new Date(d.endsAt).getTime() : Number.NaN;
  if (d.locked) {
    input.jwks = d.jwks;
    input.issuer = d.issuer;
    input.audience = d.audience;
  }
  return input;
}

export type GrantDraftCheck = { ok: true; input: GrantInput } | { ok: false; problem: Problem };

/** The same check the background (and the CLI) runs, with the problem pointed at its field. */
export function checkGrantDraft(d: GrantDraft, now: number = Date.now()): GrantDraftCheck {
  const input = grantInputOf(d);
  if (d.ends === 'after' && d.duration.trim() === '')
    return problem('expires', 'Say after how long it ends, e.g. 30d, 12h or 15m.');
  const checked = checkGrantInput(input, now);
  if (!checked.ok) return problem(checked.field, checked.message);
  return { ok: true, input };
}

function problem(field: GrantField, text: string): GrantDraftCheck {
  return { ok: false, problem: { code: 'INVALID_REQUEST', field: grantFieldId(field), text } };
}

/** `connect({ relay, grants: { name: 'khg_…' } })`, ready to paste into the site's page. */
export function grantSnippet(
  relayUrl: string,
  secretName: string,
  token: string,
  locked = false,
): string {
  const relay = relayUrl.replace(/\/+$/, '');
  const key = /^[A-Za-z_$][\w$]*$/.test(secretName) ? secretName : JSON.stringify(secretName);
  // A locked grant also needs the signed-in visitor's ID token, from the site's own login.
  const idToken = locked ? ', idToken: async () => yourIdToken()' : '';
  return (
    `import { connect } from '${relay}/v1/web.js';\n` +
    `const keyhole = connect({ relay: '${relay}', grants: { ${key}: '${token}' }${idToken} });`
  );
}

/** A grant's limits in words, one entry per line of the row. */
export function grantLimits(g: GrantView): string[] {
  const out: string[] = [];
  out.push(g.methods.length ? g.methods.join(', ') : 'any method');
  out.push(g.paths.length ? `paths ${g.paths.join(', ')}` : 'any path');
  out.push(g.ratePerMinute !== null ? `${g.ratePerMinute}/min per visitor` : 'no rate limit');
  out.push(g.quotaPerDay !== null ? `${g.quotaPerDay}/day` : 'no daily quota');
  return out;
}

export function grantExpiry(g: GrantView): string {
  if (g.expiresAt === null) return 'until revoked';
  const when = new Date(g.expiresAt).toLocaleString();
  return g.expiresAt <= Date.now() ? `ended ${when}` : `ends ${when}`;
}

export const GRANT_STATE_TEXT: Record<string, string> = {
  live: 'live',
  expired: 'expired',
  revoked: 'revoked',
  'secret-deleted': 'secret deleted',
  'member-removed': 'creator removed',
};
