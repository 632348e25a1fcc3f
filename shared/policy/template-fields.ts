// A template secret's fields as people type them: `key=value` lines (blank lines and # comments
// skipped) or a JSON object of strings. One parser for the popup's field rows and the CLI's stdin.
// Errors name the line, never the value (it is secret).
import { KeyholeError } from '../errors.js';

const MAX_KEY = 64;

export function parseTemplateFields(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return fromJson(trimmed);
  const fields: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const at = line.indexOf('=');
    if (at < 1) throw invalid(`Line ${i + 1}: write each field as key=value.`);
    const key = line.slice(0, at).trim();
    if (key === '' || key.length > MAX_KEY) {
      throw invalid(`Line ${i + 1}: a field name has 1 to ${MAX_KEY} characters.`);
    }
    if (key in fields) throw invalid(`Line ${i + 1}: the field "${key}" is there twice.`);
    fields[key] = line.slice(at + 1);
  });
  if (Object.keys(fields).length === 0) {
    throw invalid('A template secret needs at least one key=value line.');
  }
  return fields;
}

function fromJson(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('A template secret is key=value lines or a JSON object.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('A template secret is key=value lines or a JSON object.');
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(`Template field "${k}" must be a string.`);
    if (k === '' || k.length > MAX_KEY) {
      throw invalid(`A field name has 1 to ${MAX_KEY} characters.`);
    }
    fields[k] = v;
  }
  if (Object.keys(fields).length === 0) {
    throw invalid('A template secret needs at least one field.');
  }
  return fields;
}

function invalid(message: string): KeyholeError {
  return new KeyholeError('INVALID_REQUEST', message);
}
