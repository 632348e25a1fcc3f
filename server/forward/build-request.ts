// Step "substitute and sign" of a forward: each used secret's values (tokens fetched or minted
// for oauth, jwt, github-app), placeholders substituted, the final path checked again against
// every secret's allowed hosts, then the signing secret (sigv4, hmac) signs; the scrub list comes
// with it. The checks before this step: precheck.ts (template), secret-policy.ts (items).
import { randomBytes } from 'node:crypto';
import { KeyholeError } from '../../shared/errors.js';
import { resolveRef, secretSigns, type Destination } from '../../shared/policy/index.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import type { MintedTokens } from './minted-tokens.js';
import type { OAuthTokens } from './oauth.js';
import type { CheckedTemplate } from './precheck.js';
import { allowedBy, type HostRules } from './secret-policy.js';
import type { OpenedSecret } from './secrets.js';
import { signHmac } from './sign-hmac.js';
import { signSigv4 } from './sign-sigv4.js';
import { buildOutgoing, type OutgoingRequest } from './substitute.js';
import { secretValues, type SecretValues } from './values.js';

export interface PreparedForward {
  outgoing: OutgoingRequest;
  /** every secret value used: its known forms are scrubbed from the answer */
  scrub: string[];
  /**
   * oauth, jwt, github-app: drops the tokens used from their caches and builds the request again
   * with fresh ones — the one retry after a 401 (callable once). Undefined for the other types.
   */
  refresh?: () => Promise<{ outgoing: OutgoingRequest; scrub: string[] }>;
}

export interface BuildContext {
  oauth: OAuthTokens;
  minted: MintedTokens;
  /** the signing clock (sigv4, hmac timestamps); default Date.now */
  now?: () => number;
}

/**
 * Builds the request that will be sent. Values exist only from here on: every check that can be
 * made without them (template, hosts, placement) has been made.
 */
export async function buildRequest(
  ctx: BuildContext,
  req: ForwardRequest,
  template: CheckedTemplate,
  opened: readonly OpenedSecret[],
  rules: readonly HostRules[],
): Promise<PreparedForward> {
  // Where no placeholder names a secret, the first one is used (a signing type: secret-policy.ts).
  const used = template.used.size > 0 ? template.used : new Set([req.secrets[0]!.name]);
  const build = async (): Promise<Built> => {
    const values = new Map<string, SecretValues>();
    for (const secret of opened) {
      if (used.has(secret.name) || secretSigns(secret.payload.type))
        values.set(secret.name, await secretValues(secret, ctx));
    }
    const outgoing = await buildSigned(req, values, template.dest, rules, ctx.now ?? Date.now);
    const scrub: string[] = [];
    for (const v of values.values()) scrub.push(...v.scrub);
    return { outgoing, scrub, values };
  };

  const first = await build();
  const prepared: PreparedForward = { outgoing: first.outgoing, scrub: first.scrub };
  const minted = [...first.values.values()].filter((v) => v.minted !== undefined);
  if (minted.length > 0) {
    let spent = false;
    // A 401 makes the relay refresh once and retry once (docs/forward.md, "Secret types").
    prepared.refresh = async () => {
      if (spent) throw new KeyholeError('INTERNAL');
      spent = true;
      for (const v of minted) {
        const m = v.minted!;
        if (m.cache === 'oauth') ctx.oauth.invalidate(m.source, m.token);
        else ctx.minted.invalidate(m.source, m.token);
      }
      const again = await build();
      // The stale token is scrubbed from the second answer too.
      return { outgoing: again.outgoing, scrub: [...first.scrub, ...again.scrub] };
    };
  }
  return prepared;
}

interface Built {
  outgoing: OutgoingRequest;
  scrub: string[];
  values: Map<string, SecretValues>;
}

/** Substitutes, checks the final path, then lets the signing secret (if any) sign. */
async function buildSigned(
  req: ForwardRequest,
  values: Map<string, SecretValues>,
  dest: Destination,
  rules: readonly HostRules[],
  now: () => number,
): Promise<OutgoingRequest> {
  const names = req.secrets.map((s) => s.name);
  const first = names[0]!;
  // A signing secret's value placeholder only marks the header its signature replaces. (Only
  // then: the random marker and the scan for it cost a few percent of a forward's CPU.)
  let signs = false;
  for (const v of values.values()) if (v.signer) signs = true;
  const marker = signs ? `keyhole-signature-${randomBytes(12).toString('hex')}` : '';
  const valueOf = (v: SecretValues | undefined, message: string): string => {
    if (v?.signer) return marker;
    if (v?.value === undefined) throw new KeyholeError('INVALID_REQUEST', message);
    return v.value;
  };
  const outgoing = buildOutgoing(
    req.request,
    (token) => {
      if (token.ref === undefined) {
        return valueOf(
          values.get(first),
          '$CLIENT_SECRET needs a secret with a value; use $(secret:NAME.field) for template fields.',
        );
      }
      const ref = resolveRef(token.ref, names);
      const v = ref ? values.get(ref.name) : undefined;
      if (!ref || !v) throw new KeyholeError('SECRET_NOT_FOUND');
      if (ref.field === undefined)
        return valueOf(v, 'This secret has only fields: use $(secret:NAME.field).');
      const field = Object.hasOwn(v.fields, ref.field) ? v.fields[ref.field] : undefined;
      if (field === undefined)
        throw new KeyholeError(
          'SECRET_NOT_FOUND',
          'A placeholder names a field the secret does not have.',
        );
      return field;
    },
    dest,
  );
  // After substitution the path is final: check it again (path-prefix rules).
  for (const r of rules)
    if (!allowedBy(r, outgoing.dest)) throw new KeyholeError('HOST_NOT_ALLOWED');

  if (!signs) return outgoing;
  dropSignatureMarkers(outgoing, marker);
  for (const v of values.values()) {
    if (v.signer?.kind === 'sigv4') await signSigv4(outgoing, v.signer.cfg, new Date(now()));
    else if (v.signer?.kind === 'hmac') signHmac(outgoing, v.signer.cfg, now());
  }
  return outgoing;
}

/** Removes the headers that only named the signing secret; refuses the marker anywhere else. */
function dropSignatureMarkers(outgoing: OutgoingRequest, marker: string): void {
  const misplaced = () =>
    new KeyholeError(
      'INVALID_REQUEST',
      'A signing secret (sigv4, hmac) is not substituted: its placeholder may only be the whole value of a header.',
    );
  for (const [name, value] of Object.entries(outgoing.headers)) {
    if (value === marker) delete outgoing.headers[name];
    else if (value.includes(marker)) throw misplaced();
  }
  if (outgoing.path.includes(marker) || outgoing.body?.includes(marker)) throw misplaced();
}
