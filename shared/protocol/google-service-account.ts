// A Google service-account key file as jwt secret settings — one mapping for the CLI (through the
// zod schema in secret-configs.ts) and the popup (which keeps zod out of its bundle).

/** Without a scope, a service account asks for cloud-platform (what Google's own libraries use). */
export const GOOGLE_DEFAULT_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface GoogleServiceAccountFile {
  private_key: string;
  client_email: string;
  token_uri?: string;
  private_key_id?: string;
  /** not in Google's file: may be added beside its fields */
  scope?: string;
  subject?: string;
}

export interface JwtSettings {
  privateKey: string;
  algorithm: 'RS256' | 'ES256' | 'EdDSA';
  issuer: string;
  subject?: string;
  audience: string;
  scope?: string;
  tokenUrl: string;
  keyId?: string;
}

export function jwtFromGoogleServiceAccount(g: GoogleServiceAccountFile): JwtSettings {
  const tokenUrl = g.token_uri ?? GOOGLE_TOKEN_URL;
  return {
    privateKey: g.private_key,
    algorithm: 'RS256',
    issuer: g.client_email,
    ...(g.subject !== undefined ? { subject: g.subject } : {}),
    audience: tokenUrl,
    scope: g.scope ?? GOOGLE_DEFAULT_SCOPE,
    tokenUrl,
    ...(g.private_key_id !== undefined ? { keyId: g.private_key_id } : {}),
  };
}
