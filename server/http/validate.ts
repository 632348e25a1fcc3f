// Reads and validates request input with the shared zod schemas. Messages name the field and the
// rule, never the value that was sent.
import type { Context } from 'hono';
import type { z } from 'zod';
import { KeyholeError } from '../../shared/errors.js';

function describeIssues(where: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('');
    return `${where}${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `Invalid ${where}: ${parts.join('; ')}${more}`;
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new KeyholeError('INVALID_REQUEST', describeIssues(where, result.error));
  return result.data;
}

/** The JSON body, parsed and validated; malformed JSON and schema failures → INVALID_REQUEST. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyholeError('INVALID_REQUEST', 'The request body is not valid JSON.');
  }
  return parseWith(schema, value, 'body');
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query(), 'query');
}
