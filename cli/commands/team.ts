// `keyhole team create|list|invite|remove|rotate|members|fingerprint`: team vaults (docs/teams.md).
import {
  USER_ROLE_NOTICE,
  createTeam,
  inviteMember,
  listMembers,
  memberFingerprint,
  normaliseFingerprint,
  rotateTeam,
  type MemberInfo,
  type RotationResult,
} from '../../shared/client/team.js';
import { initCrypto } from '../../shared/crypto/index.js';
import { KeyholeError } from '../../shared/errors.js';
import { KeyBundleSchema, Role } from '../../shared/protocol/index.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';
import { readConfig, readKeys } from '../home.js';
import { EXIT_OK, UsageError, info, out } from '../output.js';
import { promptHidden } from '../password.js';
import { withSubCommands } from '../sub-commands.js';
import { openVault } from '../unlock.js';

const HELP = `Usage: keyhole team <sub-command> …

  create T                                   create team vault T (you are its owner)
  list                                       the teams you are in, with your role
  invite T EMAIL [--role R] [--fingerprint F]
                                             give EMAIL access to T (R: member (default), user, admin, owner)
  remove T EMAIL                             remove EMAIL from T: new team key, every item re-wrapped
  rotate T                                   new team key without removing anyone
  members T [--json]                         email, role and key fingerprint of every member
  fingerprint                                your own key fingerprint (read it to whoever invites you)

Roles: owner (everything), admin (manages members and users), member (uses and edits secrets),
user (uses secrets only: the relay refuses their writes, and Keyhole clients never show them a
value — a client policy, not cryptography).
Use a team's secrets with --vault T on \`keyhole secret …\` and \`keyhole request …\`.

Run \`keyhole team <sub-command> --help\` for details.`;

const INVITE_HELP = `Usage: keyhole team invite T EMAIL [--role member|user|admin|owner] [--fingerprint F] [--yes]

Looks up EMAIL's public key on the relay and prints its fingerprint. Compare it with the one
EMAIL sees in \`keyhole team fingerprint\` (in person, by phone — not through the relay). With
--fingerprint F, a different key stops here with FINGERPRINT_MISMATCH and nothing is sent.
On a terminal without --fingerprint you are asked to confirm (--yes skips that).
Only owners and admins invite; only owners add admins and owners.

Example:
  keyhole team invite backend bob@example.com --role member --fingerprint 3F9A-77C1-0B2E-D4A8-91FF`;

const REMOVE_HELP = `Usage: keyhole team remove T EMAIL

Removes EMAIL from team T. Your client makes a new team key, re-wraps every item key under it and
seals it to every remaining member — one atomic request; the relay refuses EMAIL from then on.
Prints the secrets EMAIL could have seen: rotate those at the provider, since removal cannot take
back what they already saw.

Example:
  keyhole team remove backend bob@example.com`;

const MEMBERS_HELP = `Usage: keyhole team members T [--json]

Lists email, role and public-key fingerprint of every member of team T.`;

const LIST_HELP = 'Usage: keyhole team list\n\nThe teams you are in, with your role.';

export const team: Command = withSubCommands('team', HELP, {
  create: {
    help: 'Usage: keyhole team create T\n\nCreates team vault T; you become its owner.',
    run: create,
  },
  list: { help: LIST_HELP, run: list },
  ls: { help: LIST_HELP, run: list },
  invite: { help: INVITE_HELP, run: invite },
  remove: { help: REMOVE_HELP, run: remove },
  rm: { help: REMOVE_HELP, run: remove },
  rotate: {
    help: 'Usage: keyhole team rotate T\n\nNew team key for T; nobody is removed.',
    run: rotate,
  },
  members: { help: MEMBERS_HELP, run: members },
  fingerprint: {
    help: 'Usage: keyhole team fingerprint\n\nPrints your public-key fingerprint.',
    run: ownFingerprint,
  },
});

async function create(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, 'team create', 1);
  const name = required(positionals[0], 'T', 'team create');
  const { relay, store, save } = await openVault({ sync: false });
  const res = await createTeam(relay, store, name);
  save();
  info(`✓ Created team ${res.name}; you are its owner.`);
  info(
    `Invite people: keyhole team invite ${quote(res.name)} EMAIL --fingerprint THEIR-FINGERPRINT`,
  );
  return EXIT_OK;
}

async function list(argv: string[]): Promise<number> {
  parse(argv, {}, 'team list');
  const { store } = await openVault({ sync: true });
  const teams = store.vaults().filter((v) => v.kind === 'team');
  if (teams.length === 0) {
    info('You are in no team yet. Create one: keyhole team create NAME');
    return EXIT_OK;
  }
  for (const line of table([
    ['TEAM', 'ROLE', 'ID'],
    ...teams.map((t) => [t.name ?? '', t.role, t.id]),
  ]))
    out(line);
  return EXIT_OK;
}

async function invite(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      role: { type: 'string' },
      fingerprint: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
    },
    'team invite',
    2,
  );
  const teamRef = required(positionals[0], 'T', 'team invite');
  const email = required(positionals[1], 'EMAIL', 'team invite');
  const role = Role.safeParse(values.role ?? 'member');
  if (!role.success) throw new UsageError('--role must be one of owner, admin, member, user.');
  if (values.fingerprint !== undefined && normaliseFingerprint(values.fingerprint).length !== 24) {
    throw new UsageError('--fingerprint looks like 3F9A-77C1-0B2E-D4A8-91FF (20 hex digits).');
  }
  const confirm = values.fingerprint === undefined && !values.yes && process.stdin.isTTY === true;

  const { relay, store, save } = await openVault({ sync: false });
  const result = await inviteMember(relay, store, teamRef, email, {
    role: role.data,
    ...(values.fingerprint !== undefined ? { expectFingerprint: values.fingerprint } : {}),
    onKey: async (key) => {
      out(`fingerprint: ${key.fingerprint}`);
      if (values.fingerprint !== undefined) {
        // inviteMember compares after this returns; a mismatch throws there, before any send.
        return;
      }
      info(
        `Compare it with what ${key.email} sees in \`keyhole team fingerprint\` (not via the relay).`,
      );
      if (confirm) {
        const answer = await promptHidden(`Is it the same? Type yes to invite ${key.email}: `);
        if (answer.trim().toLowerCase() !== 'yes')
          throw new KeyholeError('USER_DENIED', 'Not invited; nothing was sent.');
      }
    },
  });
  save();
  if (values.fingerprint !== undefined) info('✓ Fingerprint matches.');
  info(`✓ Invited ${result.member.email} to ${teamRef} as ${result.member.role}.`);
  if (result.member.role === 'user') info(USER_ROLE_NOTICE);
  return EXIT_OK;
}

async function remove(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, 'team remove', 2);
  const teamRef = required(positionals[0], 'T', 'team remove');
  const email = required(positionals[1], 'EMAIL', 'team remove');
  const { relay, store, save } = await openVault({ sync: false });
  const result = await rotateTeam(relay, store, teamRef, email);
  save();
  report(result);
  return EXIT_OK;
}

async function rotate(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, 'team rotate', 1);
  const teamRef = required(positionals[0], 'T', 'team rotate');
  const { relay, store, save } = await openVault({ sync: false });
  const result = await rotateTeam(relay, store, teamRef);
  save();
  report(result);
  return EXIT_OK;
}

function report(result: RotationResult): void {
  const name = result.team.name ?? result.team.id;
  info(`Sealed the new team key to ${result.sealedTo.length} member(s):`);
  for (const line of table(result.sealedTo.map((m) => [m.email, m.role, m.fingerprint])))
    info(`  ${line}`);
  const generations = `key generation ${result.fromGeneration} → ${result.toGeneration}`;
  if (!result.removed) {
    info(`✓ Rotated the key of ${name} (${generations}).`);
    return;
  }
  info(`✓ Removed ${result.removed.email} from ${name} (${generations}).`);
  if (result.exposedSecrets.length === 0) {
    info(`${result.removed.email} could not have seen any secret: the team had none.`);
    return;
  }
  info(`${result.removed.email} could have seen these secrets; rotate them at the provider:`);
  for (const secretName of result.exposedSecrets) out(`  ${secretName}`);
}

async function members(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, 'team members', 1);
  const teamRef = required(positionals[0], 'T', 'team members');
  const { relay, store } = await openVault({ sync: false });
  const res = await listMembers(relay, store, teamRef);
  if (values.json) {
    out(JSON.stringify(res.members.map(publicFields), null, 2));
    return EXIT_OK;
  }
  for (const m of res.unverified)
    info(
      `! VAULT_VERIFICATION_FAILED: the relay lists ${m.email} as a member, but no owner or admin signed that; ignored.`,
    );
  const rows = res.members.map((m) => [m.email, m.role, m.fingerprint]);
  for (const line of table([['EMAIL', 'ROLE', 'FINGERPRINT'], ...rows])) out(line);
  if (res.members.some((m) => m.role === 'user')) info(USER_ROLE_NOTICE);
  return EXIT_OK;
}

function publicFields(m: MemberInfo) {
  return {
    email: m.email,
    role: m.role,
    fingerprint: m.fingerprint,
    accountId: m.accountId,
    addedAt: m.addedAt,
  };
}

/** Needs no password: the public key is in the cached key bundle. */
async function ownFingerprint(argv: string[]): Promise<number> {
  parse(argv, {}, 'team fingerprint');
  const config = readConfig();
  const keys = KeyBundleSchema.safeParse(readKeys());
  if (!config || !keys.success)
    throw new KeyholeError('NOT_CONFIGURED', 'Log in first: keyhole login --relay URL --email E');
  await initCrypto();
  out(memberFingerprint(keys.data.publicKey, keys.data.signPublicKey));
  info(`(${config.email}) Read this to whoever invites you; they pass it as --fingerprint.`);
  return EXIT_OK;
}

function quote(name: string): string {
  return /\s/.test(name) ? JSON.stringify(name) : name;
}

/** Left-aligned columns, two spaces apart (the last column is not padded). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
  );
}
