// `keyhole secret add|update|list|rm`: manage secrets. Values come from stdin (or a hidden prompt)
// and are never printed back.
import {
  addSecret,
  removeSecret,
  updateSecret,
  type SecretPatch,
} from '../../shared/client/secrets.js';
import { isValidAllowedHost } from '../../shared/policy/allowed-hosts.js';
import { hostHint, originHint } from '../../shared/policy/input-hints.js';
import { parseAllowedOrigin } from '../../shared/policy/origins.js';
import {
  MAX_PLACEMENTS,
  defaultPlacement,
  isValidPlacement,
  needsPlacementReview,
} from '../../shared/policy/placement.js';
import { SECRET_TYPES, SecretName, type SecretType } from '../../shared/protocol/secret.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_OK, UsageError, info, out } from '../output.js';
import { promptHidden } from '../password.js';
import { parseSecretValue, type ValueFields } from '../secret-input.js';
import { readStdin } from '../stdin.js';
import { withSubCommands } from '../sub-commands.js';
import { openVault, reportConflicts, vaultLabel } from '../unlock.js';

const HOST_HELP =
  'host, host:port, *.host or scheme://host[:port]/path-prefix (no scheme = https only)';

const PLACE_HELP = 'header:NAME | query:NAME | body:PATH (dot path into a JSON or form body) | url';

const ADD_HELP = `Usage: keyhole secret add NAME --host H [--host H2]... [--origin O]... [--type T] [--place P]... [--vault V] [--description D] [--agent on|off]

Stores a secret. The value is read from stdin (or a hidden prompt on a terminal) and never printed.

Options:
  --host H          where the secret may be sent: ${HOST_HELP}; repeatable, at least one
  --origin O        web origin allowed to use it without asking (https://app.example); repeatable
  --place P         where in a request its value may be placed: ${PLACE_HELP};
                    repeatable. Default for bearer, basic, oauth, jwt, github-app:
                    header:Authorization only. plain and template: required (say where)
  --type T          plain (default) | bearer | basic | oauth | template | sigv4 | hmac | jwt
                    | github-app
  --vault V         personal (default), a team name or a vault id
  --description D   a note for yourself
  --agent on|off    may scripts and agents use it (keyhole serve / run / mcp)? default off

Value on stdin, by type:
  plain, bearer   the value (one trailing newline is dropped)
  basic           username:password
  template        key=value lines, or a JSON object; use as $(secret:NAME.key)
  oauth           JSON {"grant":"client_credentials"|"refresh_token","tokenUrl":…,"clientId":…,
                  "clientSecret":…,"refreshToken"?:…,"scope"?:…}
  sigv4           JSON {"accessKeyId":…,"secretAccessKey":…,"sessionToken"?:…,"region":…,
                  "service":…}; the relay signs each request (no placeholder needed)
  hmac            JSON {"key":…,"keyEncoding":"utf8"|"hex"|"base64","algorithm":"sha256"|"sha512",
                  "message":"{timestamp}{method}{path}{body}","encoding":"hex"|"base64",
                  "signatureHeader"|"signatureQuery":…,"timestampHeader"?|"timestampQuery"?:…,
                  "timestampUnit"?:"s"|"ms","fields"?:{…}}; fields as $(secret:NAME.field)
  jwt             a Google service-account JSON file as is (optionally with "scope", "subject"),
                  or JSON {"privateKey":PEM,"algorithm":"RS256"|"ES256"|"EdDSA","issuer":…,
                  "subject"?:…,"audience":…,"scope"?:…,"tokenUrl":…}; token as $CLIENT_SECRET
  github-app      JSON {"appId":…,"privateKey":PEM,"installationId":…,"baseUrl"?:…};
                  installation token as $CLIENT_SECRET (Authorization: token $CLIENT_SECRET)

Example:
  printf %s "$OPENAI_KEY" | keyhole secret add openai --host api.openai.com --type bearer`;

const UPDATE_HELP = `Usage: keyhole secret update NAME [--host H]... [--origin O]... [--place P]... [--type T] [--vault V] [--description D] [--agent on|off]

Changes a secret. A value piped on stdin replaces the value; --host / --origin / --place replace
those lists (--place: ${PLACE_HELP});
--agent on lets scripts and agents use it through keyhole serve / run / mcp (off withdraws it);
anything not given stays. If another device changed the same secret since your last sync, both
versions are kept (yours as NAME.conflict-YYYY-MM-DD) and you are told.

Example:
  printf %s "$NEW_KEY" | keyhole secret update openai
  keyhole secret update openai --host api.openai.com --host eu.api.openai.com </dev/null
  keyhole secret update openai --agent on </dev/null
  keyhole secret update stripe --place header:Authorization </dev/null`;

const LIST_HELP = `Usage: keyhole secret list [--vault V] [--json]

Lists names, types, allowed hosts, origins and placement — never values. Without --vault, every
vault. A secret saved before placement existed shows REVIEW: it may be placed anywhere until its
owner sets --place (keyhole secret update NAME --place …).

Example:
  keyhole secret list`;

const RM_HELP = `Usage: keyhole secret rm NAME [--vault V]

Removes a secret (from every device, at their next sync).

Example:
  keyhole secret rm openai`;

const HELP = `Usage: keyhole secret <add|update|list|rm> …

  add NAME --host H [--host H2] [--origin O] [--type T] [--place P]… [--vault V]
                                   T: plain|basic|bearer|template|oauth|sigv4|hmac|jwt|github-app
                                   store a secret (value read from stdin)
  update NAME [--host H]… [--origin O]… [--place P]… [--type T] [--description D] [--agent on|off] [--vault V]
                                   change a secret (value from stdin if piped)
  list [--vault V] [--json]        names, types, hosts — never values
  rm NAME [--vault V]              remove a secret

Run \`keyhole secret <sub-command> --help\` for details.`;

const EDIT_OPTIONS = {
  host: { type: 'string', multiple: true },
  origin: { type: 'string', multiple: true },
  type: { type: 'string' },
  vault: { type: 'string' },
  description: { type: 'string' },
  agent: { type: 'string' },
  place: { type: 'string', multiple: true },
} as const;

export const secret: Command = withSubCommands('secret', HELP, {
  add: { help: ADD_HELP, run: add },
  update: { help: UPDATE_HELP, run: update },
  list: { help: LIST_HELP, run: list },
  ls: { help: LIST_HELP, run: list },
  rm: { help: RM_HELP, run: rm },
  remove: { help: RM_HELP, run: rm },
});

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, EDIT_OPTIONS, 'secret add', 1);
  const name = secretName(positionals[0], 'secret add');
  const hosts = checkHosts(values.host);
  if (hosts.length === 0)
    throw new UsageError('At least one --host is required. Run `keyhole secret add --help`.');
  const origins = checkOrigins(values.origin);
  const type = secretType(values.type) ?? 'plain';
  const fields = await readValue(type, true);
  if (!fields) throw new UsageError('No value: pipe the secret on stdin.');

  const placement = checkPlaces(values.place) ?? defaultPlacement(type) ?? undefined;
  // docs/forward.md, "Placement": plain and template secrets go only where their owner lists — a new one
  // with no list could be placed nowhere, so say so now rather than at the first request.
  if (!placement && (type === 'plain' || type === 'template')) {
    throw new UsageError(
      `Say where ${name} may be placed in a request: --place header:NAME, query:NAME, body:PATH or url (repeatable), e.g. --place header:Authorization.`,
    );
  }

  const { relay, store, save } = await openVault({ sync: false });
  const vault = store.resolveVault(values.vault);
  const result = await addSecret(relay, store, vault.id, {
    name,
    type,
    ...fields,
    ...(placement ? { placement } : {}),
    allowedHosts: hosts,
    allowedOrigins: origins,
    description: values.description ?? '',
    ...(agentFlag(values.agent) ? { agent: true } : {}),
  });
  save();
  reportConflicts(store, result.conflicts);
  info(
    `✓ Added ${name} (${type}) to ${vault.kind === 'personal' ? 'your personal vault' : `vault ${vault.name}`}`,
  );
  info(`Use it: keyhole request ${name} --url ${exampleUrl(hosts[0] ?? '')}${usageHint(type)}`);
  if (placement) info(`  May be placed in: ${placement.join(', ')}`);
  else if (needsPlacementReview({ type, placement }))
    info(
      `! ${name} has no placement: it may be placed anywhere in a request until you say where: keyhole secret update ${name} --place header:NAME|query:NAME|body:PATH|url`,
    );
  return EXIT_OK;
}

async function update(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, EDIT_OPTIONS, 'secret update', 1);
  const name = secretName(positionals[0], 'secret update');
  const type = secretType(values.type);
  const patch: SecretPatch = {};
  if (values.host) patch.allowedHosts = checkHosts(values.host);
  const places = checkPlaces(values.place);
  if (places) patch.placement = places;
  if (values.origin) patch.allowedOrigins = checkOrigins(values.origin);
  if (values.description !== undefined) patch.description = values.description;
  if (type) patch.type = type;
  const agent = agentFlag(values.agent);
  if (agent !== undefined) patch.agent = agent;

  const { relay, store, save } = await openVault({ sync: false });
  const vault = store.resolveVault(values.vault);
  const current = store.index(vault.id).byName.get(name);
  const fields = await readValue(type ?? current?.payload.type ?? 'plain', false);
  if (fields) Object.assign(patch, fields);
  if (Object.keys(patch).length === 0) {
    throw new UsageError(
      'Nothing to change: pipe a new value on stdin, or give --host, --origin, --place, --type, --description or --agent.',
    );
  }
  const result = await updateSecret(relay, store, vault.id, name, patch);
  save();
  reportConflicts(store, result.conflicts);
  info(`✓ Updated ${name}${vaultLabel(store, vault.id)}`);
  if (agent !== undefined) {
    info(
      agent
        ? `  Scripts and agents may now use it: keyhole run --secret ${name} -- CMD, keyhole serve, keyhole mcp`
        : '  Scripts and agents may no longer use it.',
    );
  }
  return EXIT_OK;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { vault: { type: 'string' }, json: { type: 'boolean' } },
    'secret list',
  );
  const { store } = await openVault({ sync: true });
  // A named vault that fails verification is an error; otherwise failed vaults are skipped
  // (already reported by name) and the others listed.
  const vaults = values.vault ? [store.resolveVault(values.vault)] : store.usableVaults();
  if (values.vault) store.index(vaults[0]!.id);
  const rows = vaults.flatMap((vault) =>
    store.listSecrets(vault.id).map(({ payload }) => ({
      name: payload.name,
      type: payload.type,
      vault: vault.kind === 'personal' ? 'personal' : (vault.name ?? vault.id),
      hosts: payload.allowedHosts,
      origins: payload.allowedOrigins,
      description: payload.description,
      agent: payload.agent === true,
      placement: payload.placement ?? null,
      needsReview: needsPlacementReview(payload),
    })),
  );
  const unreadable = vaults.reduce((n, v) => n + store.index(v.id).unreadable.length, 0);
  if (unreadable > 0)
    info(
      `! ${unreadable} item(s) could not be decrypted with this account's keys and are not shown.`,
    );
  for (const vault of vaults) {
    const fp = store.vaultFingerprint(vault.id);
    const label = vault.kind === 'personal' ? 'personal' : (vault.name ?? vault.id);
    info(`vault ${label}: state ${fp ?? 'not signed yet'} (compare across devices)`);
  }
  if (values.json) {
    out(JSON.stringify(rows, null, 2));
    return EXIT_OK;
  }
  if (rows.length === 0) {
    info(
      'No secrets yet. Add one: printf %s "$KEY" | keyhole secret add NAME --host api.example.com',
    );
    return EXIT_OK;
  }
  const table = [
    ['NAME', 'TYPE', 'VAULT', 'HOSTS', 'ORIGINS', 'AGENT', 'PLACEMENT'],
    ...rows.map((r) => [
      r.name,
      r.type,
      r.vault,
      r.hosts.join(','),
      r.origins.join(',') || '-',
      r.agent ? 'on' : 'off',
      r.needsReview ? 'REVIEW (anywhere)' : (r.placement ?? []).join(',') || '-',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  return EXIT_OK;
}

async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { vault: { type: 'string' } }, 'secret rm', 1);
  const name = secretName(positionals[0], 'secret rm');
  const { relay, store, save } = await openVault({ sync: false });
  const vault = store.resolveVault(values.vault);
  const result = await removeSecret(relay, store, vault.id, name);
  save();
  reportConflicts(store, result.conflicts);
  if (!result.conflicts.some((c) => c.resolution === 'kept-theirs')) {
    info(`✓ Removed ${name}${vaultLabel(store, vault.id)}`);
  }
  return EXIT_OK;
}

function secretName(value: string | undefined, command: string): string {
  const name = required(value, 'NAME', command);
  if (!SecretName.safeParse(name).success) {
    throw new UsageError(
      'NAME: letters, digits, _ . - (at most 64), starting with a letter or digit.',
    );
  }
  return name;
}

function secretType(value: string | undefined): SecretType | undefined {
  if (value === undefined) return undefined;
  if (!(SECRET_TYPES as readonly string[]).includes(value)) {
    throw new UsageError(`--type must be one of ${SECRET_TYPES.join(', ')}.`);
  }
  return value as SecretType;
}

/** `--agent on|off` (also yes/no, true/false); undefined when not given. */
function agentFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'on' || v === 'yes' || v === 'true') return true;
  if (v === 'off' || v === 'no' || v === 'false') return false;
  throw new UsageError('--agent must be on or off.');
}

/** The --place entries, validated; undefined when none was given. */
function checkPlaces(places: string[] | undefined): string[] | undefined {
  if (!places || places.length === 0) return undefined;
  for (const place of places) {
    if (!isValidPlacement(place))
      throw new UsageError(
        `Not a valid --place ${JSON.stringify(place.slice(0, 60))}: use ${PLACE_HELP}.`,
      );
  }
  if (places.length > MAX_PLACEMENTS) throw new UsageError(`At most ${MAX_PLACEMENTS} --place.`);
  return [...new Set(places)];
}

function checkHosts(hosts: string[] | undefined): string[] {
  for (const host of hosts ?? []) {
    if (!isValidAllowedHost(host))
      throw new UsageError(
        `Not a valid --host ${JSON.stringify(host)}: ${hostHint(host)} (${HOST_HELP}).`,
      );
  }
  return hosts ?? [];
}

/** Same rule as the popup (shared/policy/origins.ts): scheme://host[:port], normalised. */
function checkOrigins(origins: string[] | undefined): string[] {
  return (origins ?? []).map((origin) => {
    const parsed = parseAllowedOrigin(origin);
    if (!parsed)
      throw new UsageError(
        `Not a valid --origin ${JSON.stringify(origin)}: ${originHint(origin)}.`,
      );
    return parsed;
  });
}

/** stdin when piped; else (add only, on a terminal) a hidden prompt for the simple types. */
async function readValue(type: SecretType, prompt: boolean): Promise<ValueFields | null> {
  const piped = await readStdin();
  if (piped !== null && piped !== '') return parseSecretValue(type, piped);
  if (piped === null && prompt) {
    if (type !== 'plain' && type !== 'bearer' && type !== 'basic') {
      throw new UsageError(`Pipe the ${type} secret on stdin (see \`keyhole secret add --help\`).`);
    }
    const label = type === 'basic' ? 'username:password' : 'Secret value';
    return parseSecretValue(type, await promptHidden(`${label} (hidden): `));
  }
  return null;
}

/** How the secret is used in `keyhole request`, by type. */
function usageHint(type: SecretType): string {
  switch (type) {
    case 'sigv4':
    case 'hmac':
      return ' (the relay signs the request)';
    case 'github-app':
      return " -H 'Authorization: token $CLIENT_SECRET'";
    case 'basic':
      return " -H 'Authorization: Basic $CLIENT_SECRET'";
    default:
      return " -H 'Authorization: Bearer $CLIENT_SECRET'";
  }
}

function exampleUrl(host: string): string {
  if (/^https?:\/\//i.test(host)) return host;
  return `https://${host.replace(/^\*\./, 'api.')}/`;
}
