// Step "authenticate" of POST /v1/forward: the session behind the bearer token, looked up in one
// statement together with its account's membership of the first secret's vault and that item
// (findSessionMemberItem, server/db/hot-statements.ts). Only a caller with a live session learns
// what is wrong with its body (docs/forward.md, "Order of the checks").
import { KeyholeError } from '../../../shared/errors.js';
import type { ForwardRequest } from '../../../shared/protocol/forward.js';
import type { HotStatements, MemberItemRow } from '../../db/hot-statements.js';
import { parseForwardBody } from './forward-body.js';

/** What a source of authorisation (a session here, a grant in routes/grants/) hands the steps after it. */
export interface AuthorizedForward {
  /** the account the forward acts for (audited; the grant's creator for a grant) */
  accountId: string;
  req: ForwardRequest;
  /** the first secret's membership + item row, looked up with the authorisation; undefined: not a member */
  firstRow: MemberItemRow | undefined;
}

export async function authenticate(
  hot: HotStatements,
  tokenHash: string,
  text: string,
  now: number,
): Promise<AuthorizedForward> {
  let req: ForwardRequest;
  try {
    req = parseForwardBody(text);
  } catch (invalid) {
    const session = await hot.findLiveSession(tokenHash, now);
    if (!session) throw new KeyholeError('UNAUTHENTICATED');
    throw invalid;
  }
  const ref = req.secrets[0]!;
  const row = await hot.findSessionMemberItem(tokenHash, now, ref.vaultId, ref.itemId);
  if (!row) throw new KeyholeError('UNAUTHENTICATED');
  const firstRow =
    row.member_id === null
      ? undefined
      : { account_id: row.member_id, data: row.data, deleted: row.deleted };
  return { accountId: row.account_id, req, firstRow };
}
