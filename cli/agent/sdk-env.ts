// The environment `keyhole run` gives its child for the secrets it exposes: the base-URL and
// API-key variables the well-known SDKs read (docs/cli.md, "keyhole run"), `KEYHOLE_ENDPOINT`,
// and `--env VAR=VALUE` with `{url}` / `{url:NAME}` expanded. Never a secret value.
import { KeyholeError } from '../../shared/errors.js';
import { parseAllowedHost } from '../../shared/policy/allowed-hosts.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';

/** What SDKs get instead of a key: they insist on one, and the endpoint replaces it. */
export const PLACEHOLDER_KEY = 'keyhole-placeholder';

export interface SdkEnv {
  /** the SDK family, also matched against the secret's name */
  id: string;
  /** the API's host, matched against the secret's first allowed host */
  host: string;
  /** variable → value; `{url}` is the secret's endpoint URL (…/t/TOKEN/s/NAME) */
  vars: Record<string, string>;
}

/** The documented table (docs/cli.md); checked against each SDK's source. */
export const SDK_ENV: readonly SdkEnv[] = [
  {
    // openai (JS, Python) and the many tools built on them
    id: 'openai',
    host: 'api.openai.com',
    vars: { OPENAI_BASE_URL: '{url}/v1', OPENAI_API_KEY: PLACEHOLDER_KEY },
  },
  {
    // @anthropic-ai/sdk, anthropic (Python), Claude Code; the SDK adds /v1/… itself
    id: 'anthropic',
    host: 'api.anthropic.com',
    vars: { ANTHROPIC_BASE_URL: '{url}', ANTHROPIC_API_KEY: PLACEHOLDER_KEY },
  },
  {
    // groq-sdk, groq (Python); the SDK adds /openai/v1/… itself
    id: 'groq',
    host: 'api.groq.com',
    vars: { GROQ_BASE_URL: '{url}', GROQ_API_KEY: PLACEHOLDER_KEY },
  },
];

/** The table row for a secret: by its first allowed host, else by its name (`openai`…). */
export function sdkFor(payload: SecretPayload): SdkEnv | undefined {
  const host = parseAllowedHost(payload.allowedHosts[0] ?? '')?.host;
  return (
    SDK_ENV.find((row) => row.host === host) ??
    SDK_ENV.find((row) => row.id === payload.name.toLowerCase())
  );
}

/** `{url}` → the endpoint's base URL; `{url:NAME}` → the URL for secret NAME. */
export function expandTemplate(
  text: string,
  baseUrl: string,
  urlFor: (name: string) => string,
): string {
  return text.replace(/\{url(?::([A-Za-z0-9][A-Za-z0-9_.-]{0,63}))?\}/g, (_, name?: string) =>
    name === undefined ? baseUrl : urlFor(name),
  );
}

/** The secret names a `--env` value refers to with `{url:NAME}`. */
export function referencedNames(text: string): string[] {
  return [...text.matchAll(/\{url:([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\}/g)].map((m) => m[1]!);
}

/** Parses `VAR=VALUE`; the name must be a portable environment variable name. */
export function parseEnvFlag(flag: string): [string, string] {
  const at = flag.indexOf('=');
  const name = at === -1 ? flag : flag.slice(0, at);
  if (at === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new KeyholeError(
      'INVALID_REQUEST',
      `--env expects VAR=VALUE, got ${JSON.stringify(flag.slice(0, 60))}.`,
    );
  }
  return [name, flag.slice(at + 1)];
}

export interface ChildEnvInput {
  parent: NodeJS.ProcessEnv;
  secrets: readonly SecretPayload[];
  baseUrl: string;
  urlFor: (name: string) => string;
  extra: readonly [string, string][];
  /** every value the CLI holds: a parent variable holding one is not passed on */
  values: readonly { name: string; value: string }[];
}

export interface ChildEnv {
  env: Record<string, string>;
  /** variables set from the table, for the user: VAR → secret name */
  set: { variable: string; secret: string }[];
  /** parent variables dropped because they held a secret's value */
  removed: { variable: string; secret: string }[];
}

/** Variables that never reach the child: the master password opens every secret. */
const NEVER_INHERITED = new Set(['KEYHOLE_PASSWORD']);

export function childEnv(input: ChildEnvInput): ChildEnv {
  const env: Record<string, string> = {};
  const removed: ChildEnv['removed'] = [];
  for (const [key, value] of Object.entries(input.parent)) {
    if (value === undefined || NEVER_INHERITED.has(key)) continue;
    const held = input.values.find((v) => v.value.length >= 6 && value.includes(v.value));
    if (held) {
      removed.push({ variable: key, secret: held.name });
      continue;
    }
    env[key] = value;
  }
  const set: ChildEnv['set'] = [];
  const claimed = new Set<string>();
  for (const payload of input.secrets) {
    const row = sdkFor(payload);
    if (!row || claimed.has(row.id)) continue;
    claimed.add(row.id);
    const url = input.urlFor(payload.name);
    for (const [variable, template] of Object.entries(row.vars)) {
      env[variable] = template.replaceAll('{url}', url);
      set.push({ variable, secret: payload.name });
    }
  }
  env.KEYHOLE_ENDPOINT = input.baseUrl;
  for (const [variable, value] of input.extra) {
    env[variable] = expandTemplate(value, input.baseUrl, input.urlFor);
  }
  return { env, set, removed };
}
