// The plaintext of a vault item (what the item envelope holds). Never leaves a client or the
// relay's memory in the clear.
import { z } from 'zod';
import { GithubAppConfig, HmacConfig, JwtConfig, Sigv4Config } from './secret-configs.js';
import { SECRET_NAME_RE, SECRET_NAME_RULE } from '../policy/secret-name.js';

export const SECRET_TYPES = [
  'plain',
  'bearer',
  'basic',
  'oauth',
  'template',
  'sigv4',
  'hmac',
  'jwt',
  'github-app',
] as const;
export const SecretType = z.enum(SECRET_TYPES);
export type SecretType = z.infer<typeof SecretType>;

/** Secret names as pages and the CLI use them: `$(secret:NAME)`, `--vault V NAME`. */
export const SecretName = z.string().regex(SECRET_NAME_RE, SECRET_NAME_RULE);

const MAX_VALUE = 64 * 1024;
const Value = z.string().max(MAX_VALUE);

export const OAuthConfig = z.object({
  grant: z.enum(['client_credentials', 'refresh_token']),
  tokenUrl: z.string().url(),
  clientId: Value,
  clientSecret: Value,
  refreshToken: Value.optional(),
  scope: z.string().max(1024).optional(),
});

export const SecretPayload = z
  .object({
    name: SecretName,
    type: SecretType,
    /** plain / bearer: the value substituted for the placeholder */
    value: Value.optional(),
    /** basic: substituted as base64(username:password) */
    username: Value.optional(),
    password: Value.optional(),
    /** template: named fields, `$(secret:NAME.field)` */
    fields: z.record(z.string().max(64), Value).optional(),
    /** oauth: the relay gets (and caches) an access token and substitutes it */
    oauth: OAuthConfig.optional(),
    /** sigv4: the relay signs the request (AWS Signature V4); nothing is substituted */
    sigv4: Sigv4Config.optional(),
    /** hmac: the relay signs the request as sent; `hmac.fields` are $(secret:NAME.field) */
    hmac: HmacConfig.optional(),
    /** jwt: RFC 7523 assertion → access token, substituted */
    jwt: JwtConfig.optional(),
    /** github-app: app JWT → installation token, substituted */
    githubApp: GithubAppConfig.optional(),
    /** docs/forward.md, "Allowed hosts": host, host:port, *.host, scheme://host[:port]/prefix */
    allowedHosts: z.array(z.string().min(1).max(300)).min(1).max(50),
    /** origins allowed without asking (https://app.example); others are asked in the approval window */
    allowedOrigins: z.array(z.string().max(300)).max(100).default([]),
    description: z.string().max(1000).default(''),
    /**
     * May scripts and agents use it through `keyhole serve` / `run` / `mcp` (docs/cli.md, "Agents")?
     * Off unless the owner turns it on; inside the authenticated item, so the relay checks it too.
     */
    agent: z.boolean().optional(),
    /**
     * Where the value may be placed: `header:NAME` | `query:NAME` | `body:PATH` | `url`
     * (shared/policy/placement.ts). Absent on secrets saved before placement: legacy, needs review.
     */
    placement: z
      .array(
        z
          .string()
          .regex(
            /^(url|header:[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}|query:[^&=#\s]{1,256}|body:[^.\s]{1,128}(\.[^.\s]{1,128}){0,31})$/,
            'header:NAME, query:NAME, body:PATH or url',
          ),
      )
      .max(20)
      .optional(),
  })
  .superRefine((p, ctx) => {
    // The signing and minting types cannot work without their settings: refuse such an item.
    const need = { sigv4: p.sigv4, hmac: p.hmac, jwt: p.jwt, 'github-app': p.githubApp } as const;
    if (Object.hasOwn(need, p.type) && need[p.type as keyof typeof need] === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `a ${p.type} secret needs its settings`,
        path: ['type'],
      });
    }
  });
export type SecretPayload = z.infer<typeof SecretPayload>;
