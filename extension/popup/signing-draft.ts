// The popup's form state for the secrets that sign and mint (sigv4, hmac, jwt, github-app) and what
// it turns into. The first checks here point at the field to fix; the background validates the
// whole item again with the shared schema (shared/protocol/secret-configs.ts) before saving.
import {
  jwtFromGoogleServiceAccount,
  type GoogleServiceAccountFile,
} from '../../shared/protocol/google-service-account.js';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import { parseTemplateFields } from '../../shared/policy/template-fields.js';
import type { Problem } from '../ui/explain.js';

export const SIGNING_TYPES = ['sigv4', 'hmac', 'jwt', 'github-app'] as const;
export type SigningType = (typeof SIGNING_TYPES)[number];

export function isSigningDraftType(type: string): type is SigningType {
  return (SIGNING_TYPES as readonly string[]).includes(type);
}

export interface SigningDraft {
  // sigv4
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  region: string;
  service: string;
  // hmac
  hmacKey: string;
  keyEncoding: 'utf8' | 'hex' | 'base64';
  algorithm: 'sha256' | 'sha512';
  message: string;
  encoding: 'hex' | 'base64';
  signatureIn: 'header' | 'query';
  signatureName: string;
  timestampIn: 'none' | 'header' | 'query';
  timestampName: string;
  timestampUnit: 's' | 'ms';
  /** key=value lines: non-secret values placed with $(secret:NAME.key) */
  hmacFields: string;
  // jwt
  jwtMode: 'google' | 'key';
  /** a Google service-account key file, pasted as is */
  googleJson: string;
  privateKey: string;
  jwtAlgorithm: 'RS256' | 'ES256' | 'EdDSA';
  issuer: string;
  subject: string;
  audience: string;
  scope: string;
  tokenUrl: string;
  // github-app
  appId: string;
  installationId: string;
  appPrivateKey: string;
  baseUrl: string;
}

export function emptySigningDraft(): SigningDraft {
  return {
    accessKeyId: '',
    secretAccessKey: '',
    sessionToken: '',
    region: 'us-east-1',
    service: 's3',
    hmacKey: '',
    keyEncoding: 'utf8',
    algorithm: 'sha256',
    message: '{timestamp}{method}{path}{body}',
    encoding: 'hex',
    signatureIn: 'header',
    signatureName: '',
    timestampIn: 'none',
    timestampName: '',
    timestampUnit: 's',
    hmacFields: '',
    jwtMode: 'google',
    googleJson: '',
    privateKey: '',
    jwtAlgorithm: 'RS256',
    issuer: '',
    subject: '',
    audience: '',
    scope: '',
    tokenUrl: '',
    appId: '',
    installationId: '',
    appPrivateKey: '',
    baseUrl: '',
  };
}

type Settings = Pick<SecretPayload, 'sigv4' | 'hmac' | 'jwt' | 'githubApp'>;
export type SigningCheck =
  { ok: true; settings: Settings | null } | { ok: false; problem: Problem };

const bad = (field: string, text: string): SigningCheck => ({
  ok: false,
  problem: { code: 'INVALID_REQUEST', field, text },
});

const PEM_RE = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const URL_RE = /^https?:\/\/\S+$/i;

/**
 * The settings of a signing or minting secret from the form. `editing`: an untouched form (every
 * secret field blank) keeps the stored settings (`settings: null`).
 */
export function signingSettings(
  type: SigningType,
  d: SigningDraft,
  editing: boolean,
): SigningCheck {
  switch (type) {
    case 'sigv4': {
      if (editing && !d.accessKeyId && !d.secretAccessKey) return { ok: true, settings: null };
      if (!d.accessKeyId.trim()) return bad('sigv4-access-key-id', 'Type the access key id.');
      if (!d.secretAccessKey) return bad('sigv4-secret', 'Paste the secret access key.');
      if (!/^[a-z0-9-]{1,64}$/.test(d.region.trim()))
        return bad('sigv4-region', 'An AWS region such as us-east-1.');
      if (!/^[a-z0-9-]{1,64}$/.test(d.service.trim()))
        return bad('sigv4-service', 'An AWS signing name such as s3, bedrock or execute-api.');
      return {
        ok: true,
        settings: {
          sigv4: {
            accessKeyId: d.accessKeyId.trim(),
            secretAccessKey: d.secretAccessKey,
            ...(d.sessionToken ? { sessionToken: d.sessionToken } : {}),
            region: d.region.trim(),
            service: d.service.trim(),
          },
        },
      };
    }
    case 'hmac': {
      if (editing && !d.hmacKey) return { ok: true, settings: null };
      if (!d.hmacKey) return bad('hmac-key', 'Paste the signing key.');
      if (!d.message.trim()) return bad('hmac-message', 'Say what is signed, e.g. {query}{body}.');
      if (!d.signatureName.trim())
        return bad('hmac-signature-name', 'Name the header or query parameter of the signature.');
      if (d.timestampIn !== 'none' && !d.timestampName.trim())
        return bad('hmac-timestamp-name', 'Name the header or query parameter of the timestamp.');
      let fields: Record<string, string> | undefined;
      if (d.hmacFields.trim()) {
        try {
          fields = parseTemplateFields(d.hmacFields);
        } catch (err) {
          return bad('hmac-fields', (err as Error).message);
        }
      }
      const sig = d.signatureName.trim();
      const ts = d.timestampName.trim();
      return {
        ok: true,
        settings: {
          hmac: {
            key: d.hmacKey,
            keyEncoding: d.keyEncoding,
            algorithm: d.algorithm,
            message: d.message,
            encoding: d.encoding,
            ...(d.signatureIn === 'header' ? { signatureHeader: sig } : { signatureQuery: sig }),
            ...(d.timestampIn === 'header' ? { timestampHeader: ts } : {}),
            ...(d.timestampIn === 'query' ? { timestampQuery: ts } : {}),
            timestampUnit: d.timestampUnit,
            ...(fields ? { fields } : {}),
          },
        },
      };
    }
    case 'jwt': {
      if (d.jwtMode === 'google') {
        if (editing && !d.googleJson.trim()) return { ok: true, settings: null };
        let file: Partial<GoogleServiceAccountFile> & { type?: unknown };
        try {
          file = JSON.parse(d.googleJson) as typeof file;
        } catch {
          return bad('jwt-google-json', 'Paste the whole service-account key file (JSON).');
        }
        if (
          file?.type !== 'service_account' ||
          typeof file.private_key !== 'string' ||
          typeof file.client_email !== 'string'
        )
          return bad('jwt-google-json', 'That is not a Google service-account key file.');
        const settings = jwtFromGoogleServiceAccount({
          private_key: file.private_key,
          client_email: file.client_email,
          ...(typeof file.token_uri === 'string' ? { token_uri: file.token_uri } : {}),
          ...(typeof file.private_key_id === 'string'
            ? { private_key_id: file.private_key_id }
            : {}),
          ...(d.scope.trim() ? { scope: d.scope.trim() } : {}),
          ...(d.subject.trim() ? { subject: d.subject.trim() } : {}),
        });
        return { ok: true, settings: { jwt: settings } };
      }
      if (editing && !d.privateKey) return { ok: true, settings: null };
      if (!PEM_RE.test(d.privateKey))
        return bad('jwt-private-key', 'Paste the PEM private key (-----BEGIN PRIVATE KEY-----…).');
      if (!d.issuer.trim()) return bad('jwt-issuer', 'Type the issuer (iss).');
      if (!d.audience.trim()) return bad('jwt-audience', 'Type the audience (aud).');
      if (!URL_RE.test(d.tokenUrl.trim()))
        return bad('jwt-token-url', 'The token URL is an https:// address.');
      return {
        ok: true,
        settings: {
          jwt: {
            privateKey: d.privateKey,
            algorithm: d.jwtAlgorithm,
            issuer: d.issuer.trim(),
            ...(d.subject.trim() ? { subject: d.subject.trim() } : {}),
            audience: d.audience.trim(),
            ...(d.scope.trim() ? { scope: d.scope.trim() } : {}),
            tokenUrl: d.tokenUrl.trim(),
          },
        },
      };
    }
    case 'github-app': {
      if (editing && !d.appPrivateKey) return { ok: true, settings: null };
      if (!/^\d{1,20}$/.test(d.appId.trim())) return bad('gh-app-id', 'The numeric app id.');
      if (!/^\d{1,20}$/.test(d.installationId.trim()))
        return bad('gh-installation-id', 'The numeric installation id.');
      if (!PEM_RE.test(d.appPrivateKey))
        return bad('gh-private-key', 'Paste the app’s private key (.pem file).');
      if (d.baseUrl.trim() && !URL_RE.test(d.baseUrl.trim()))
        return bad('gh-base-url', 'GitHub Enterprise: https://HOST/api/v3.');
      return {
        ok: true,
        settings: {
          githubApp: {
            appId: d.appId.trim(),
            installationId: d.installationId.trim(),
            privateKey: d.appPrivateKey,
            baseUrl: d.baseUrl.trim() || 'https://api.github.com',
          },
        },
      };
    }
  }
}
