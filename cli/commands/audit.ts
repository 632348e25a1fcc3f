// `keyhole audit T [--limit N] [--json]`: a team's forwarded requests (owners/admins: everyone's;
// members/users: their own), newest first.
import { readAudit } from '../../shared/client/team.js';
import { parse, refusePasswordFlag, required } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_OK, UsageError, info, out } from '../output.js';
import { openVault } from '../unlock.js';
import { table } from './team.js';

export const audit: Command = {
  help: `Usage: keyhole audit T [--limit N] [--json]

Shows who used which secret of team T: when, from which origin, to which host, with which method,
and the answer's status (or the error code). Owners and admins see every member's requests;
members and users see their own. Newest first; --limit (default 200, at most 1000).

Example:
  keyhole audit backend --limit 50`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values, positionals } = parse(
      argv,
      { limit: { type: 'string' }, json: { type: 'boolean' } },
      'audit',
      1,
    );
    const teamRef = required(positionals[0], 'T', 'audit');
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
      throw new UsageError('--limit must be an integer from 1 to 1000.');
    }
    const { relay, store } = await openVault({ sync: false });
    const res = await readAudit(relay, store, teamRef, limit === undefined ? {} : { limit });
    if (values.json) {
      out(JSON.stringify(res.rows, null, 2));
      return EXIT_OK;
    }
    const name = res.team.name ?? res.team.id;
    info(
      res.scope === 'all'
        ? `All requests with secrets of ${name}:`
        : `Your requests with secrets of ${name}:`,
    );
    if (res.rows.length === 0) {
      info('No requests yet.');
      return EXIT_OK;
    }
    const rows = res.rows.map((r) => [
      new Date(r.at).toISOString().replace('T', ' ').slice(0, 19),
      r.accountEmail ?? '?',
      r.secretName ?? '-',
      r.origin ?? '-',
      r.method ?? '-',
      r.host ?? '-',
      r.status !== null ? String(r.status) : (r.errorCode ?? '-'),
    ]);
    for (const line of table([
      ['AT (UTC)', 'WHO', 'SECRET', 'ORIGIN', 'METHOD', 'HOST', 'STATUS'],
      ...rows,
    ]))
      out(line);
    return EXIT_OK;
  },
};
