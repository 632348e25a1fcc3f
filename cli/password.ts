// The master password: KEYHOLE_PASSWORD, or a hidden prompt on the controlling terminal
// (/dev/tty, so that stdin stays free for secret values). Never a command-line argument.
import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { KeyholeError } from '../shared/errors.js';

export async function readPassword(
  options: { confirm?: boolean; prompt?: string } = {},
): Promise<string> {
  const fromEnv = process.env.KEYHOLE_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const prompt = options.prompt ?? 'Master password: ';
  const first = await promptHidden(prompt);
  if (options.confirm) {
    const second = await promptHidden('Repeat the master password: ');
    if (first !== second) throw new KeyholeError('INVALID_REQUEST', 'The two passwords differ.');
  }
  return first;
}

/** Reads one line from the terminal without echo. Fails clearly when there is no terminal. */
export async function promptHidden(prompt: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    throw new KeyholeError(
      'INVALID_REQUEST',
      'No terminal to ask for the master password: set KEYHOLE_PASSWORD in the environment.',
    );
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = '';
      input.on('data', (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return resolve(line);
          if (ch === '\u0003' || (ch === '\u0004' && line === '')) {
            return reject(new KeyholeError('USER_DENIED', 'Cancelled.'));
          }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else if (ch >= ' ') line += ch;
        }
      });
      input.on('error', reject);
    });
  } finally {
    input.setRawMode(false);
    output.write('\n');
    input.destroy();
    output.destroy();
  }
}
