// The popup's grant requests, served through the SDK the CLI uses (shared/client/grants.ts): list a
// secret's grants, create one (the grant key is made here and the item key wrapped here; the
// relay gets a lookup hash and ciphertexts), revoke. What the popup typed is checked again with
// the same shared function before anything is sealed. docs/extension.md "Grants".
import { createGrantFor, listGrants, revokeGrant } from '../../shared/client/grants.js';
import type { GrantListing } from '../../shared/client/grants.js';
import { KeyholeError } from '../../shared/errors.js';
import {
  checkGrantInput,
  effectiveGrantState,
  type GrantInput,
} from '../../shared/policy/grant-input.js';
import type { GrantPolicy } from '../../shared/protocol/grant.js';
import { GRANT_UI_KINDS, type GrantUiRequest, type GrantView } from '../ui/grant-protocol.js';
import type { VaultService } from './vault-service.js';

export function isGrantUiRequest(req: { ui: string }): req is GrantUiRequest {
  return (GRANT_UI_KINDS as readonly string[]).includes(req.ui);
}

const MAY_REVOKE_ANY = new Set(['owner', 'admin']);

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The popup's input, kept to the shape checkGrantInput reads (anything else is dropped). */
export function grantInputOf(raw: unknown): GrantInput {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const input: GrantInput = {
    origins: strings(r.origins),
    methods: strings(r.methods),
    paths: strings(r.paths),
    locked: r.locked === true,
  };
  for (const k of ['rate', 'quota', 'expires', 'maxBody', 'jwks', 'issuer', 'audience'] as const) {
    const v = r[k];
    if (typeof v === 'string') input[k] = v;
  }
  if (typeof r.expiresAt === 'number') input.expiresAt = r.expiresAt;
  return input;
}

export function grantView(
  g: Pick<GrantListing, 'id' | 'vaultId' | 'itemId' | 'state' | 'uses' | 'createdAt' | 'revokedAt'>,
  policy: GrantPolicy | null,
  mayRevoke: boolean,
  now: number,
): GrantView {
  return {
    id: g.id,
    vaultId: g.vaultId,
    itemId: g.itemId,
    readable: policy !== null,
    origins: policy?.origins ?? [],
    methods: policy?.methods ?? [],
    paths: policy?.paths ?? [],
    ratePerMinute: policy?.ratePerMinute ?? null,
    quotaPerDay: policy?.quotaPerDay ?? null,
    expiresAt: policy?.expiresAt ?? null,
    maxBodyBytes: policy?.maxBodyBytes ?? null,
    locked: policy?.locked ?? null,
    state: effectiveGrantState(g.state, policy?.expiresAt, now),
    uses: g.uses,
    createdAt: g.createdAt,
    revokedAt: g.revokedAt,
    mayRevoke,
  };
}

/** Live and expired first (they may still need revoking), then newest first. */
function order(a: GrantView, b: GrantView): number {
  const ended = (v: GrantView) => (v.state === 'live' || v.state === 'expired' ? 0 : 1);
  return ended(a) - ended(b) || b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1);
}

export async function handleGrantUi(
  vault: VaultService,
  req: GrantUiRequest,
  now: () => number = Date.now,
): Promise<unknown> {
  const live = await vault.current();
  if (!live) throw new KeyholeError('VAULT_LOCKED');
  const relay = await vault.relayFor(live);
  const store = live.store;
  const roleIn = (vaultId: string) => store.vaults().find((v) => v.id === vaultId)?.role;

  switch (req.ui) {
    case 'grant-list': {
      const all = await listGrants(relay, store);
      const t = now();
      return all
        .filter((g) => g.vaultId === req.vaultId && g.itemId === req.itemId)
        .map((g) =>
          grantView(
            g,
            g.policy,
            g.accountId === live.record.accountId || MAY_REVOKE_ANY.has(roleIn(g.vaultId) ?? ''),
            t,
          ),
        )
        .sort(order);
    }
    case 'grant-create': {
      // Check before the relay is asked anything: a refusal changes nothing and names the field.
      const checked = checkGrantInput(grantInputOf(req.input), now());
      if (!checked.ok)
        throw new KeyholeError('INVALID_REQUEST', checked.message, {
          details: { field: checked.field },
        });
      if (roleIn(req.vaultId) === 'user')
        throw new KeyholeError(
          'FORBIDDEN',
          'Your team role (user) may use this secret but not publish it: ask an owner or admin to make the grant.',
        );
      // Seal with the item key the relay holds now (a value changed on another device has a new one).
      await vault.syncNow().catch(() => undefined);
      const entry = store.index(req.vaultId).byId.get(req.itemId);
      if (!entry) throw new KeyholeError('SECRET_NOT_FOUND');
      const made = await createGrantFor(relay, store, entry, checked.options, now());
      return {
        token: made.token,
        grant: grantView(
          {
            id: made.id,
            vaultId: entry.vaultId,
            itemId: entry.itemId,
            state: 'live',
            uses: 0,
            createdAt: made.policy.createdAt,
            revokedAt: null,
          },
          made.policy,
          true,
          now(),
        ),
      };
    }
    case 'grant-revoke':
      await revokeGrant(relay, req.id);
      return { id: req.id };
    case 'grant-counts': {
      const counts: Record<string, number> = {};
      const t = now();
      for (const g of await listGrants(relay, store)) {
        if (effectiveGrantState(g.state, g.policy?.expiresAt, t) !== 'live') continue;
        const key = `${g.vaultId}/${g.itemId}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    }
  }
}
