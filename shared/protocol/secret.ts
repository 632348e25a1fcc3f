// The plaintext of a vault item (what the item envelope holds). Never leaves a client or the
// relay's memory in the clear.
import { z } from 'zod';

export const SECRET_TYPES = ['plain', 'bearer', 'basic', 'oauth', 'template'] as const;
export const SecretType = z.enum(SECRET_TYPES);
export type SecretType = z.infer<typeof SecretType>;

/** Secret names as pages and the CLI use them: `$(secret:NAME)`, `--vault V NAME`. */
export const SecretName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, _ . - (at most 64), starting with a letter or digit',
  );

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

export const SecretPayload = z.object({
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
  /** DESIGN.md "One request" step 3: host, host:port, *.host, scheme://host[:port]/prefix */
  allowedHosts: z.array(z.string().min(1).max(300)).min(1).max(50),
  /** origins allowed without asking (https://app.example); others are asked in the approval window */
  allowedOrigins: z.array(z.string().max(300)).max(100).default([]),
  description: z.string().max(1000).default(''),
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
});
export type SecretPayload = z.infer<typeof SecretPayload>;
