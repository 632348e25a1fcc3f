// Reading a secret value from stdin (piped), bounded; null when stdin is a terminal.
import { KeyholeError } from '../shared/errors.js';

const MAX_STDIN = 1024 * 1024;

export async function readStdin(): Promise<string | null> {
  if (process.stdin.isTTY) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN)
      throw new KeyholeError('PAYLOAD_TOO_LARGE', 'stdin is larger than 1 MiB.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `echo VALUE |` adds one newline: drop exactly one trailing line break. */
export function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
