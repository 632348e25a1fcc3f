// A team's audit trail (rows written by the forwarder): owners and admins read every row,
// members and users only their own.
import type { Kysely } from 'kysely';
import type { AuditQuery, AuditResponse } from '../../shared/protocol/team.js';
import type { Database } from './schema.js';
import { MANAGER_ROLES, requireTeamMember } from './team-access.js';

export async function readTeamAudit(
  db: Kysely<Database>,
  vaultId: string,
  callerId: string,
  query: AuditQuery,
): Promise<AuditResponse> {
  const { member } = await requireTeamMember(db, vaultId, callerId);
  const all = MANAGER_ROLES.includes(member.role);
  let q = db
    .selectFrom('audit_log as l')
    .leftJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'l.id',
      'a.email',
      'l.secret_name',
      'l.origin',
      'l.host',
      'l.method',
      'l.status',
      'l.error_code',
      'l.created_at',
    ])
    .where('l.vault_id', '=', vaultId);
  if (!all) q = q.where('l.account_id', '=', callerId);
  if (query.before !== undefined) q = q.where('l.created_at', '<', query.before);
  const rows = await q
    .orderBy('l.created_at', 'desc')
    .orderBy('l.id', 'desc')
    .limit(query.limit)
    .execute();
  return {
    vaultId,
    scope: all ? 'all' : 'own',
    rows: rows.map((r) => ({
      accountEmail: r.email,
      secretName: r.secret_name,
      origin: r.origin,
      host: r.host,
      method: r.method,
      status: r.status === null ? null : Number(r.status),
      errorCode: r.error_code,
      at: Number(r.created_at),
    })),
  };
}
