// The add/edit form's state (exactly what was typed, kept across failures) and its check: the same
// shared/policy rules the relay and the CLI apply, each problem pointing at the field to fix.
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { parseAllowedHost } from '../../shared/policy/allowed-hosts.js';
import { hostHint, originHint } from '../../shared/policy/input-hints.js';
import { parseAllowedOrigin } from '../../shared/policy/origins.js';
import { isValidSecretName, SECRET_NAME_RULE } from '../../shared/policy/secret-name.js';
import { parseTemplateFields } from '../../shared/policy/template-fields.js';
import { defaultPlacement, isValidPlacement } from '../../shared/policy/placement.js';
import type { Problem } from '../ui/explain.js';
import { emptySigningDraft, signingSettings, type SigningDraft } from './signing-draft.js';
import type { SecretSummary } from '../background/vault-service.js';

/** The types the popup edits, in the order the type menu lists them. */
export const EDITABLE_TYPES = [
  'bearer',
  'plain',
  'basic',
  'template',
  'oauth',
  'sigv4',
  'hmac',
  'jwt',
  'github-app',
] as const;
export type EditableType = (typeof EDITABLE_TYPES)[number];

export const TYPE_LABELS: Record<EditableType, string> = {
  bearer: 'Bearer token',
  plain: 'Plain value',
  basic: 'Basic auth (user + password)',
  template: 'Template (several fields)',
  oauth: 'OAuth client',
  sigv4: 'AWS Signature V4',
  hmac: 'HMAC signature',
  jwt: 'JWT bearer (Google service account…)',
  'github-app': 'GitHub App',
};

export interface OAuthDraft {
  grant: 'client_credentials' | 'refresh_token';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  scope: string;
}

export interface SecretDraft {
  vaultId: string;
  name: string;
  type: EditableType;
  value: string;
  username: string;
  password: string;
  /** template: key=value rows */
  fields: string;
  oauth: OAuthDraft;
  /** sigv4, hmac, jwt, github-app */
  signing: SigningDraft;
  hosts: string;
  origins: string;
  description: string;
  /** where the value may be placed, one per line (header:NAME, query:NAME, body:PATH, url) */
  placement: string;
}

export function emptyDraft(vaultId: string): SecretDraft {
  return {
    vaultId,
    name: '',
    type: 'bearer',
    value: '',
    username: '',
    password: '',
    fields: '',
    oauth: {
      grant: 'client_credentials',
      tokenUrl: '',
      clientId: '',
      clientSecret: '',
      refreshToken: '',
      scope: '',
    },
    signing: emptySigningDraft(),
    hosts: '',
    origins: '',
    description: '',
    placement: '',
  };
}

/** An existing secret as a draft: everything but the value fields (blank = unchanged). */
export function draftFrom(s: SecretSummary): SecretDraft {
  const type = (EDITABLE_TYPES as readonly string[]).includes(s.type)
    ? (s.type as EditableType)
    : 'plain';
  return {
    ...emptyDraft(s.vaultId),
    name: s.name,
    type,
    hosts: s.allowedHosts.join('\n'),
    origins: s.allowedOrigins.join('\n'),
    description: s.description,
    placement: (s.placement ?? []).join('\n'),
  };
}

/** Hosts/origins: one per line (commas also split). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export type DraftCheck =
  { ok: true; secret: Partial<SecretPayload> } | { ok: false; problem: Problem };

const bad = (field: string, text: string): DraftCheck => ({
  ok: false,
  problem: { code: 'INVALID_REQUEST', field, text },
});

/** Check the draft and build what is sent; `editing` = blank value fields mean "unchanged". */
export function checkDraft(d: SecretDraft, editing: boolean): DraftCheck {
  const name = d.name.trim();
  if (!name) return bad('name', 'Give the secret a name; pages use it as clientSecretName.');
  if (!isValidSecretName(name)) return bad('name', `A name has ${SECRET_NAME_RULE}.`);

  const secret: Partial<SecretPayload> = { name, type: d.type };
  switch (d.type) {
    case 'plain':
    case 'bearer':
      if (d.value) secret.value = d.value;
      else if (!editing) return bad('value', 'Paste the secret value.');
      break;
    case 'basic':
      if (d.username || d.password) {
        if (!d.username) return bad('username', 'Type the user name.');
        if (!d.password) return bad('password', 'Type the password.');
        secret.username = d.username;
        secret.password = d.password;
      } else if (!editing) return bad('username', 'Type the user name and the password.');
      break;
    case 'template':
      if (d.fields.trim()) {
        try {
          secret.fields = parseTemplateFields(d.fields);
        } catch (err) {
          return bad('fields', (err as Error).message);
        }
      } else if (!editing) return bad('fields', 'Add at least one key=value line.');
      break;
    case 'oauth': {
      const o = d.oauth;
      const any = o.tokenUrl || o.clientId || o.clientSecret || o.refreshToken;
      if (!any && editing) break;
      if (!/^https?:\/\/[^\s]+$/i.test(o.tokenUrl.trim()) || !isUrl(o.tokenUrl.trim()))
        return bad(
          'oauth-token-url',
          'The token URL is an https:// address, e.g. https://auth.example.com/oauth/token.',
        );
      if (!o.clientId) return bad('oauth-client-id', 'Type the client id.');
      if (!o.clientSecret) return bad('oauth-client-secret', 'Paste the client secret.');
      if (o.grant === 'refresh_token' && !o.refreshToken)
        return bad('oauth-refresh-token', 'A refresh_token grant needs the refresh token.');
      secret.oauth = {
        grant: o.grant,
        tokenUrl: o.tokenUrl.trim(),
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        ...(o.grant === 'refresh_token' ? { refreshToken: o.refreshToken } : {}),
        ...(o.scope.trim() ? { scope: o.scope.trim() } : {}),
      };
      break;
    }
    case 'sigv4':
    case 'hmac':
    case 'jwt':
    case 'github-app': {
      const checked = signingSettings(d.type, d.signing, editing);
      if (!checked.ok) return checked;
      if (checked.settings) Object.assign(secret, checked.settings);
      break;
    }
  }

  const hosts = splitList(d.hosts);
  if (hosts.length === 0)
    return bad('hosts', 'Say where the secret may be sent, e.g. api.openai.com.');
  if (hosts.length > 50) return bad('hosts', 'At most 50 hosts.');
  for (const h of hosts) {
    if (!parseAllowedHost(h)) return bad('hosts', `"${h}" is not a host: ${hostHint(h)}.`);
  }
  secret.allowedHosts = hosts;

  const origins: string[] = [];
  for (const o of splitList(d.origins)) {
    const parsed = parseAllowedOrigin(o);
    if (!parsed) return bad('origins', `"${o}" is not a site: ${originHint(o)}.`);
    if (!origins.includes(parsed)) origins.push(parsed);
  }
  if (origins.length > 100) return bad('origins', 'At most 100 sites.');
  secret.allowedOrigins = origins;
  if (d.description.length > 1000) return bad('description', 'At most 1000 characters.');
  secret.description = d.description;

  // Placement (docs/forward.md, "Placement"): listed entries, else the type's default; plain and template
  // have none, so a new one must say where (an edit that leaves it blank keeps what is stored).
  const places = splitList(d.placement);
  for (const p of places) {
    if (!isValidPlacement(p))
      return bad(
        'placement',
        `"${p}" is not a place: use header:NAME, query:NAME, body:PATH or url.`,
      );
  }
  if (places.length > 20) return bad('placement', 'At most 20 places.');
  if (places.length > 0) secret.placement = [...new Set(places)];
  else if (!editing) {
    // Plain and template go only where their owner lists (as in the CLI); the signing types
    // place no value of their own (hmac's non-secret fields follow the owner's list if any).
    const fallback = defaultPlacement(d.type);
    if (fallback) secret.placement = fallback;
    else if (d.type === 'plain' || d.type === 'template')
      return bad(
        'placement',
        'Say where the value may be placed, e.g. header:X-Api-Key, query:key or body:auth.token.',
      );
  }
  return { ok: true, secret };
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
