// The settings of the secrets that sign or mint (docs/forward.md, "Signing and minting secrets"): sigv4,
// hmac, jwt, github-app. The stored form of each; `parseTypedConfig` also accepts the input forms
// (a Google service-account JSON for jwt, numeric ids for github-app).
import { z } from 'zod';
import { GOOGLE_TOKEN_URL, jwtFromGoogleServiceAccount } from './google-service-account.js';

export { GOOGLE_DEFAULT_SCOPE } from './google-service-account.js';

const MAX_VALUE = 64 * 1024;
const Value = z.string().max(MAX_VALUE);
const Short = z.string().min(1).max(256);
/** An HTTP header name (RFC 9110 token). */
const HeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'a header name (RFC 9110 token)');
const QueryName = z.string().min(1).max(128);
const Pem = z
  .string()
  .max(MAX_VALUE)
  .regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a PEM private key');

export const Sigv4Config = z.object({
  accessKeyId: Short,
  secretAccessKey: Value.min(1),
  sessionToken: Value.min(1).optional(),
  region: z.string().regex(/^[a-z0-9-]{1,64}$/, 'an AWS region such as us-east-1'),
  service: z.string().regex(/^[a-z0-9-]{1,64}$/, 'an AWS signing name such as s3 or bedrock'),
});

export const HMAC_VARIABLES = [
  'method',
  'path',
  'query',
  'body',
  'timestamp',
  'timestampMs',
  'nonce',
  'host',
] as const;

export const HmacConfig = z
  .object({
    key: Value.min(1),
    keyEncoding: z.enum(['utf8', 'hex', 'base64']).default('utf8'),
    algorithm: z.enum(['sha256', 'sha512']).default('sha256'),
    /** template over {method} {path} {query} {body} {timestamp} {timestampMs} {nonce} {host} */
    message: z.string().min(1).max(1024),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    signatureHeader: HeaderName.optional(),
    signatureQuery: QueryName.optional(),
    timestampHeader: HeaderName.optional(),
    timestampQuery: QueryName.optional(),
    /** unit of the timestamp placed in timestampHeader/timestampQuery (the message has both) */
    timestampUnit: z.enum(['s', 'ms']).default('s'),
    nonceHeader: HeaderName.optional(),
    nonceQuery: QueryName.optional(),
    /** non-secret values placed with $(secret:NAME.field): an API key id, a passphrase */
    fields: z.record(z.string().min(1).max(64), Value).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.signatureHeader === undefined) === (c.signatureQuery === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'exactly one of signatureHeader or signatureQuery',
        path: ['signatureHeader'],
      });
    }
    if (c.timestampHeader !== undefined && c.timestampQuery !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of timestampHeader or timestampQuery',
        path: ['timestampHeader'],
      });
    }
    if (c.nonceHeader !== undefined && c.nonceQuery !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of nonceHeader or nonceQuery',
        path: ['nonceHeader'],
      });
    }
    for (const m of c.message.matchAll(/\{([A-Za-z]+)\}/g)) {
      if (!(HMAC_VARIABLES as readonly string[]).includes(m[1]!)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown message variable {${m[1]}}`,
          path: ['message'],
        });
      }
    }
    if (c.keyEncoding !== 'utf8' && keyBytesLength(c.key, c.keyEncoding) === 0) {
      ctx.addIssue({ code: 'custom', message: `the key is not ${c.keyEncoding}`, path: ['key'] });
    }
  });

/** Bytes in a hex or base64 key, 0 when it is not that encoding (no node:* in shared/). */
function keyBytesLength(key: string, enc: 'hex' | 'base64'): number {
  if (enc === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(key) ? key.length / 2 : 0;
  const text = key.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && text.replace(/=+$/, '').length % 4 !== 1
    ? Math.floor((text.replace(/=+$/, '').length * 3) / 4)
    : 0;
}

const HttpsOrHttpUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s]+$/i, 'an http(s) url');

export const JwtConfig = z.object({
  privateKey: Pem,
  algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
  issuer: Short,
  subject: Short.optional(),
  audience: Short,
  scope: z.string().min(1).max(2048).optional(),
  tokenUrl: HttpsOrHttpUrl,
  /** `kid` header (a Google key's private_key_id) */
  keyId: Short.optional(),
});

/** A Google service-account key file, as downloaded (extra fields kept out). */
const GoogleServiceAccount = z.object({
  type: z.literal('service_account'),
  private_key: Pem,
  client_email: Short,
  token_uri: HttpsOrHttpUrl.default(GOOGLE_TOKEN_URL),
  private_key_id: Short.optional(),
  /** not in Google's file: may be added beside its fields */
  scope: z.string().min(1).max(2048).optional(),
  subject: Short.optional(),
});

const GoogleInput = GoogleServiceAccount.transform((g): z.infer<typeof JwtConfig> =>
  jwtFromGoogleServiceAccount(g),
);

const NumericId = z
  .union([z.string().regex(/^[0-9]{1,20}$/), z.number().int().positive()])
  .transform((v) => String(v));

export const GithubAppConfig = z.object({
  appId: z.string().regex(/^[0-9]{1,20}$/, 'the numeric app id'),
  privateKey: Pem,
  installationId: z.string().regex(/^[0-9]{1,20}$/, 'the numeric installation id'),
  /** GitHub Enterprise Server: https://HOST/api/v3 */
  baseUrl: HttpsOrHttpUrl.default('https://api.github.com'),
});

const GithubAppInput = GithubAppConfig.extend({ appId: NumericId, installationId: NumericId });

export type Sigv4Config = z.infer<typeof Sigv4Config>;
export type HmacConfig = z.infer<typeof HmacConfig>;
export type JwtConfig = z.infer<typeof JwtConfig>;
export type GithubAppConfig = z.infer<typeof GithubAppConfig>;

export type TypedConfig =
  | { sigv4: Sigv4Config }
  | { hmac: HmacConfig }
  | { jwt: JwtConfig }
  | { githubApp: GithubAppConfig };

const INPUT = {
  sigv4: Sigv4Config,
  hmac: HmacConfig,
  jwt: JwtConfig,
  'github-app': GithubAppInput,
} as const;

export type SigningType = keyof typeof INPUT;

export function isSigningType(type: string): type is SigningType {
  return Object.hasOwn(INPUT, type);
}

/**
 * The settings for `type` from the JSON object a user gives (stdin, popup form): validated, and in
 * the form the item stores. The error names the field, never echoes a value.
 */
export function parseTypedConfig(
  type: SigningType,
  value: unknown,
): { ok: true; config: TypedConfig } | { ok: false; message: string } {
  const isGoogle =
    type === 'jwt' &&
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'service_account';
  const parsed = (isGoogle ? GoogleInput : INPUT[type]).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : type;
    return { ok: false, message: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  const data = parsed.data;
  switch (type) {
    case 'sigv4':
      return { ok: true, config: { sigv4: data as Sigv4Config } };
    case 'hmac':
      return { ok: true, config: { hmac: data as HmacConfig } };
    case 'jwt':
      return { ok: true, config: { jwt: data as JwtConfig } };
    case 'github-app':
      return { ok: true, config: { githubApp: data as GithubAppConfig } };
  }
}
