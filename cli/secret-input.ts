// Turns what arrives on stdin into a secret's value fields, by type (docs/cli.md, "secret add").
import { parseTypedConfig, type TypedConfig } from '../shared/protocol/secret-configs.js';
import type { SecretPayload, SecretType } from '../shared/protocol/secret.js';
import { KeyholeError } from '../shared/errors.js';
import { parseTemplateFields } from '../shared/policy/template-fields.js';
import { stripFinalNewline } from './stdin.js';

export type ValueFields =
  Pick<SecretPayload, 'value' | 'username' | 'password' | 'fields' | 'oauth'> | TypedConfig;

export function parseSecretValue(type: SecretType, raw: string): ValueFields {
  const text = stripFinalNewline(raw);
  switch (type) {
    case 'plain':
    case 'bearer':
      if (text === '') throw invalid('The secret value is empty: pipe it on stdin.');
      return { value: text };
    case 'basic': {
      const at = text.indexOf(':');
      if (at < 1) throw invalid('A basic secret is `username:password` on stdin.');
      return { username: text.slice(0, at), password: text.slice(at + 1) };
    }
    case 'template':
      return { fields: parseTemplateFields(text) };
    case 'oauth':
      return {
        oauth: parseJsonObject(
          text,
          'An oauth secret is a JSON object on stdin',
        ) as SecretPayload['oauth'],
      };
    case 'sigv4':
    case 'hmac':
    case 'jwt':
    case 'github-app': {
      const json = parseJsonObject(text, `A ${type} secret is a JSON object on stdin`);
      const parsed = parseTypedConfig(type, json);
      if (!parsed.ok) throw invalid(`Invalid ${type} secret: ${parsed.message}.`);
      return parsed.config;
    }
  }
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through: never echo the input (it is a secret)
  }
  throw invalid(`${what}.`);
}

function invalid(message: string): KeyholeError {
  return new KeyholeError('INVALID_REQUEST', message);
}
