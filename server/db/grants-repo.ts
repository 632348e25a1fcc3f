// The grants table behind POST/GET/DELETE /v1/grants: create (a live member who may write, a live
// item), list (grants of the caller's vaults with their state and use count), revoke.
import type { Kysely } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type { CreateGrantRequest, GrantSummary } from '../../shared/protocol/grant.js';
import { invalidating } from './cache-events.js';
import { isUniqueViolation } from './db-errors.js';
import type { Database } from './schema.js';

/** `user` means "may use, may not see": publishing a secret to every visitor is more than use. */
const MAY_GRANT = new Set(['owner', 'admin', 'member']);
const MAY_REVOKE_ANY = new Set(['owner', 'admin']);

export async function createGrant(
  db: Kysely<Database>,
  accountId: string,
  body: CreateGrantRequest,
  now: number,
): Promise<{ id: string }> {
  const member = await db
    .selectFrom('vault_members')
    .select('role')
    .where('vault_id', '=', body.vaultId)
    .where('account_id', '=', accountId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  if (!member || !MAY_GRANT.has(member.role)) {
    throw new KeyholeError('FORBIDDEN', 'This account may not make grants for that vault.');
  }
  const item = await db
    .selectFrom('items')
    .select(['deleted'])
    .where('vault_id', '=', body.vaultId)
    .where('id', '=', body.itemId)
    .executeTakeFirst();
  if (!item || Number(item.deleted) === 1) throw new KeyholeError('SECRET_NOT_FOUND');
  try {
    await db
      .insertInto('grants')
      .values({
        id: body.id,
        lookup_hash: body.lookup,
        account_id: accountId,
        vault_id: body.vaultId,
        item_id: body.itemId,
        wrapped_item_key: body.wrappedItemKey,
        policy: body.policy,
        info: body.info,
        cors_origins: JSON.stringify(body.corsOrigins),
        created_at: now,
        revoked_at: null,
      })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new KeyholeError('CONFLICT', 'That grant id is taken.');
    throw err;
  }
  return { id: body.id };
}

/** Every grant of a vault the caller is a live member of (members hold the vault key anyway). */
export async function listGrants(db: Kysely<Database>, accountId: string): Promise<GrantSummary[]> {
  const rows = await db
    .selectFrom('grants as g')
    .innerJoin('vault_members as me', (j) =>
      j
        .onRef('me.vault_id', '=', 'g.vault_id')
        .on('me.account_id', '=', accountId)
        .on('me.removed_at', 'is', null),
    )
    .leftJoin('vault_members as cm', (j) =>
      j
        .onRef('cm.vault_id', '=', 'g.vault_id')
        .onRef('cm.account_id', '=', 'g.account_id')
        .on('cm.removed_at', 'is', null),
    )
    .leftJoin('items as i', (j) =>
      j.onRef('i.vault_id', '=', 'g.vault_id').onRef('i.id', '=', 'g.item_id'),
    )
    .select([
      'g.id',
      'g.vault_id',
      'g.item_id',
      'g.account_id',
      'g.info',
      'g.created_at',
      'g.revoked_at',
      'cm.account_id as creator_live',
      'i.deleted as item_deleted',
      'i.id as item_exists',
    ])
    .orderBy('g.created_at', 'desc')
    .execute();
  if (rows.length === 0) return [];
  const counts = await db
    .selectFrom('audit_log')
    .select(['grant_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where(
      'grant_id',
      'in',
      rows.map((r) => r.id),
    )
    .groupBy('grant_id')
    .execute();
  const uses = new Map(counts.map((c) => [c.grant_id, Number(c.n)]));
  return rows.map((r) => ({
    id: r.id,
    vaultId: r.vault_id,
    itemId: r.item_id,
    accountId: r.account_id,
    info: r.info,
    state:
      r.revoked_at !== null
        ? 'revoked'
        : r.creator_live === null
          ? 'member-removed'
          : r.item_exists === null || Number(r.item_deleted) === 1
            ? 'secret-deleted'
            : 'live',
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    uses: uses.get(r.id) ?? 0,
  }));
}

/**
 * The creator, or an owner/admin of the vault, ends a grant; at once, on every relay: the relays'
 * caches drop the grant before and after the commit (cache-events.ts; NOTIFY on PostgreSQL).
 */
export async function revokeGrant(
  db: Kysely<Database>,
  accountId: string,
  grantId: string,
  now: number,
): Promise<void> {
  const row = await db
    .selectFrom('grants as g')
    .leftJoin('vault_members as me', (j) =>
      j
        .onRef('me.vault_id', '=', 'g.vault_id')
        .on('me.account_id', '=', accountId)
        .on('me.removed_at', 'is', null),
    )
    .select(['g.account_id', 'me.role'])
    .where('g.id', '=', grantId)
    .executeTakeFirst();
  // A grant of a vault the caller is not in is "not found": grant ids cannot be probed.
  if (!row || row.role === null) throw new KeyholeError('NOT_FOUND', 'No such grant.');
  if (row.account_id !== accountId && !MAY_REVOKE_ANY.has(row.role)) {
    throw new KeyholeError(
      'FORBIDDEN',
      "Only the grant's creator or a vault owner/admin may revoke it.",
    );
  }
  await invalidating(db, [{ kind: 'grant', grantId }], (tx) =>
    tx
      .updateTable('grants')
      .set({ revoked_at: now })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .execute(),
  );
}
