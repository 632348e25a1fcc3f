// Accounts: created together with the personal vault and its owner membership, in one transaction.
import type { Kysely } from 'kysely';
import { KeyholeError } from '../../shared/errors.js';
import type { KeyBundle, SignupRequest } from '../../shared/protocol/auth.js';
import { KdfParamsSchema } from '../../shared/protocol/common.js';
import { isUniqueViolation } from './db-errors.js';
import { insertVaultWithOwner } from './vaults-repo.js';
import type { AccountsTable, Database } from './schema.js';

export async function findAccountByEmail(
  db: Kysely<Database>,
  email: string,
): Promise<AccountsTable | undefined> {
  return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findAccountById(
  db: Kysely<Database>,
  id: string,
): Promise<AccountsTable | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function keyBundleOf(account: AccountsTable): KeyBundle {
  return {
    kdf: KdfParamsSchema.parse(JSON.parse(account.kdf)),
    wrappedAccountKey: account.wrapped_account_key,
    publicKey: account.public_key,
    wrappedPrivateKey: account.wrapped_private_key,
    ...(account.sign_public_key && account.wrapped_sign_key
      ? { signPublicKey: account.sign_public_key, wrappedSignKey: account.wrapped_sign_key }
      : {}),
  };
}

/** Inserts the account, its personal vault and the owner membership; all or nothing. */
export async function createAccount(
  db: Kysely<Database>,
  req: SignupRequest,
  authHash: string,
  now: number,
): Promise<void> {
  try {
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('accounts')
        .values({
          id: req.accountId,
          email: req.email,
          auth_hash: authHash,
          kdf: JSON.stringify(req.keys.kdf),
          wrapped_account_key: req.keys.wrappedAccountKey,
          public_key: req.keys.publicKey,
          wrapped_private_key: req.keys.wrappedPrivateKey,
          sign_public_key: req.keys.signPublicKey ?? null,
          wrapped_sign_key: req.keys.wrappedSignKey ?? null,
          created_at: now,
        })
        .execute();
      await insertVaultWithOwner(
        tx,
        {
          id: req.personalVault.id,
          kind: 'personal',
          name: null,
          ownerId: req.accountId,
          wrappedKey: req.personalVault.wrappedKey,
        },
        now,
      );
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent signup with the same email won the race, or a client reused an id.
    if (await findAccountByEmail(db, req.email)) throw new KeyholeError('ACCOUNT_EXISTS');
    throw new KeyholeError(
      'CONFLICT',
      'That account or vault id is already in use; generate new ids.',
    );
  }
}

/** An account made before signing keys adds its key once; a second call is a CONFLICT. */
export async function setSignKey(
  db: Kysely<Database>,
  accountId: string,
  signPublicKey: string,
  wrappedSignKey: string,
): Promise<void> {
  const res = await db
    .updateTable('accounts')
    .set({ sign_public_key: signPublicKey, wrapped_sign_key: wrappedSignKey })
    .where('id', '=', accountId)
    .where('sign_public_key', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1)
    throw new KeyholeError('CONFLICT', 'This account already has a signing key.');
}
