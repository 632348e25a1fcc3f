// `keyhole grant create|list|revoke`: let every visitor of a site's origins use one of your
// secrets through the relay, within limits the relay enforces (docs/cli.md "Grants").
import { createGrant, listGrants, revokeGrant } from '../../shared/client/grants.js';
import {
  checkGrantInput,
  effectiveGrantState,
  type GrantField,
} from '../../shared/policy/grant-input.js';
import { parse, required } from '../args.js';
import { EXIT_OK, UsageError, info, out } from '../output.js';
import { withSubCommands } from '../sub-commands.js';
import { openVault } from '../unlock.js';
import { table } from './team.js';

const CREATE_HELP = `Usage: keyhole grant create SECRET --origin O [--origin O2]... [--method M]... [--path PREFIX]...
       [--rate N] [--quota N] [--expires DURATION] [--max-body BYTES]
       [--locked --jwks URL --issuer ISS --audience AUD] [--vault V]

Lets every visitor of the given origins use SECRET through the relay — no extension, no backend
of your own. The relay enforces every limit; the page and the SDK are never trusted. Prints the
grant's id, then the token (khg_…) alone on the last line. The token is shown once: put it in
your page (connect({ relay, grants: { NAME: 'khg_…' } })).

Options:
  --origin O        exact origin allowed to use it (https://app.example); repeatable, required
  --method M        GET POST PUT PATCH DELETE HEAD; repeatable (default: any)
  --path PREFIX     url path prefix inside the secret's allowed hosts (/v1/chat); repeatable
  --rate N          requests per minute per visitor (client IP, or the ID token's sub)
  --quota N         requests per day (UTC) for the whole grant, across every relay
  --expires D       ends after D: N followed by s, m, h or d (default: until revoked)
  --max-body BYTES  largest request body accepted (default 262144)
  --locked          only signed-in visitors: the page passes their ID token, the relay checks it
  --jwks URL        (locked) your identity provider's JWKS url (https)
  --issuer ISS      (locked) the ID token's expected iss
  --audience AUD    (locked) the ID token's expected aud
  --vault V         personal (default), a team name or a vault id

Example:
  keyhole grant create openai --origin https://app.example --method POST \\
    --path /v1/chat/completions --rate 10 --quota 1000 --expires 30d`;

const LIST_HELP = `Usage: keyhole grant list [--vault V] [--json]

Lists the grants of your vaults: id, secret, origins, limits, expiry, state and uses — never a token.`;

const REVOKE_HELP = `Usage: keyhole grant revoke ID

Ends a grant at once, on every relay of the database. The creator or a vault owner/admin may.`;

const HELP = `Usage: keyhole grant <create|list|revoke> …

  create SECRET --origin O … [limits]   let visitors of O use SECRET (prints id, then the token)
  list [--vault V] [--json]             id, secret, origins, limits, expiry, uses
  revoke ID                             end a grant at once

Run \`keyhole grant <sub-command> --help\` for details.`;

export const grant = withSubCommands('grant', HELP, {
  create: { help: CREATE_HELP, run: create },
  list: { help: LIST_HELP, run: list },
  ls: { help: LIST_HELP, run: list },
  revoke: { help: REVOKE_HELP, run: revoke },
  rm: { help: REVOKE_HELP, run: revoke },
});

/** The flag a problem found by checkGrantInput is about. */
const FLAG_OF: Record<GrantField, string> = {
  origins: '--origin',
  methods: '--method',
  paths: '--path',
  rate: '--rate',
  quota: '--quota',
  expires: '--expires',
  'max-body': '--max-body',
  locked: '--locked',
  jwks: '--jwks',
  issuer: '--issuer',
  audience: '--audience',
};

/** Only the flags that were given (exactOptionalPropertyTypes: no `undefined` values). */
function optional(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      origin: { type: 'string', multiple: true },
      method: { type: 'string', multiple: true },
      path: { type: 'string', multiple: true },
      rate: { type: 'string' },
      quota: { type: 'string' },
      expires: { type: 'string' },
      'max-body': { type: 'string' },
      locked: { type: 'boolean' },
      jwks: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      vault: { type: 'string' },
    },
    'grant create',
    1,
  );
  const secretName = required(positionals[0], 'SECRET', 'grant create');
  // The popup checks its form with the same function (shared/policy/grant-input.ts).
  const checked = checkGrantInput({
    origins: values.origin ?? [],
    methods: values.method ?? [],
    paths: values.path ?? [],
    ...optional({
      rate: values.rate,
      quota: values.quota,
      expires: values.expires,
      maxBody: values['max-body'],
      jwks: values.jwks,
      issuer: values.issuer,
      audience: values.audience,
    }),
    locked: values.locked === true,
  });
  if (!checked.ok) throw new UsageError(`${FLAG_OF[checked.field]}: ${checked.message}`);
  const options = checked.options;
  const origins = options.origins;

  const { relay, store } = await openVault({ sync: true });
  const vault = store.resolveVault(values.vault);
  const made = await createGrant(relay, store, vault.id, secretName, options);
  info(
    `✓ Granted ${secretName} to ${origins.join(', ')}. The token is shown once; keep it in your page.`,
  );
  out(made.id);
  out(made.token);
  return EXIT_OK;
}

function limits(p: {
  methods: string[];
  paths: string[];
  ratePerMinute: number | null;
  quotaPerDay: number | null;
  locked: unknown;
}): string {
  const parts: string[] = [];
  if (p.methods.length) parts.push(p.methods.join('|'));
  if (p.paths.length) parts.push(p.paths.join('|'));
  if (p.ratePerMinute !== null) parts.push(`${p.ratePerMinute}/min/visitor`);
  if (p.quotaPerDay !== null) parts.push(`${p.quotaPerDay}/day`);
  if (p.locked) parts.push('locked');
  return parts.join(' ') || '-';
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { vault: { type: 'string' }, json: { type: 'boolean' } },
    'grant list',
  );
  const { relay, store } = await openVault({ sync: false });
  const vaultId = values.vault ? store.resolveVault(values.vault).id : undefined;
  const grants = (await listGrants(relay, store)).filter(
    (g) => vaultId === undefined || g.vaultId === vaultId,
  );
  const now = Date.now();
  const rows = grants.map((g) => ({
    id: g.id,
    secret: g.policy?.secretName ?? '?',
    origins: g.policy?.origins ?? [],
    limits: g.policy ? limits(g.policy) : '?',
    expires: g.policy?.expiresAt ?? null,
    state: effectiveGrantState(g.state, g.policy?.expiresAt, now),
    uses: g.uses,
    policy: g.policy,
  }));
  if (values.json) {
    out(JSON.stringify(rows, null, 2));
    return EXIT_OK;
  }
  if (rows.length === 0) {
    info('No grants yet. Make one: keyhole grant create SECRET --origin https://app.example');
    return EXIT_OK;
  }
  for (const line of table([
    ['ID', 'SECRET', 'ORIGINS', 'LIMITS', 'EXPIRES (UTC)', 'STATE', 'USES'],
    ...rows.map((r) => [
      r.id,
      r.secret,
      r.origins.join(','),
      r.limits,
      r.expires === null
        ? 'never'
        : new Date(r.expires).toISOString().slice(0, 16).replace('T', ' '),
      r.state,
      String(r.uses),
    ]),
  ]))
    out(line);
  return EXIT_OK;
}

async function revoke(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, 'grant revoke', 1);
  const id = required(positionals[0], 'ID', 'grant revoke');
  const { relay } = await openVault({ sync: false });
  await revokeGrant(relay, id);
  info(`✓ Revoked grant ${id}`);
  return EXIT_OK;
}
