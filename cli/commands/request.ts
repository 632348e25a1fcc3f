// `keyhole request NAME --url U [-X M] [-H 'K: V']... [-d BODY] [-i] [--vault V] [--queue Q]`:
// curl-like call through the relay; the secret goes in on the relay, the body streams to stdout.
import { readFileSync } from 'node:fs';
import { forwardAndPoll } from '../../shared/client/forward-response.js';
import { buildForwardRequest } from '../../shared/client/request.js';
import { KeyholeError } from '../../shared/errors.js';
import { parse, refusePasswordFlag, required } from '../args.js';
import type { Command } from '../command.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, info } from '../output.js';
import { readStdin } from '../stdin.js';
import { openVault } from '../unlock.js';

export const request: Command = {
  help: `Usage: keyhole request NAME --url U [-X METHOD] [-H 'K: V']... [-d BODY] [-i] [--vault V] [--queue Q]

Calls an API through the relay with the secret NAME put in place of $CLIENT_SECRET (and of
$(secret:OTHER) / $(secret:OTHER.field) for other secrets of the same vault). Like curl: prints the
response body as it arrives; the secret itself never reaches this machine's output. A sigv4 or
hmac secret signs the request on the relay instead (no placeholder needed); a jwt or github-app
secret's $CLIENT_SECRET is the access token the relay mints.

Options:
  --url U           the destination; its host must be in the secret's allowed hosts
  -X, --request M   GET (default; POST when -d is given), POST, PUT, PATCH, DELETE, HEAD
  -H, --header 'K: V'  a request header; repeatable
  -d, --data BODY   request body, sent as is; @FILE reads a file, @- reads stdin
  -i, --include     print the status line and response headers before the body
  --vault V         look NAME up in this vault (personal, a team name or an id)
  --queue Q         queue the request on the relay (same url+method+queue run one at a time) and
                    wait for its result

Exit status: 0 for a 2xx answer; otherwise non-zero with CODE: message on stderr (an upstream
error prints its body on stdout too, like curl, and reports UPSTREAM_ERROR).

Examples:
  keyhole request openai --url https://api.openai.com/v1/models -H 'Authorization: Bearer $CLIENT_SECRET'
  keyhole request aws-s3 --url 'https://my-bucket.s3.us-east-1.amazonaws.com/?list-type=2'`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values, positionals } = parse(
      argv,
      {
        url: { type: 'string' },
        request: { type: 'string', short: 'X' },
        header: { type: 'string', short: 'H', multiple: true },
        data: { type: 'string', short: 'd' },
        include: { type: 'boolean', short: 'i' },
        vault: { type: 'string' },
        queue: { type: 'string' },
      },
      'request',
      1,
    );
    const name = required(positionals[0], 'NAME', 'request');
    const url = required(values.url, '--url', 'request');
    const headers = parseHeaders(values.header ?? []);
    const data = values.data === undefined ? undefined : await readData(values.data);
    const method = (values.request ?? (data === undefined ? 'GET' : 'POST')).toUpperCase();

    const { relay, store } = await openVault({ sync: true });
    const vaultId = values.vault ? store.resolveVault(values.vault).id : undefined;
    const forward = buildForwardRequest(store, {
      clientSecretName: name,
      url,
      method,
      headers,
      data,
      vaultId,
      queue: values.queue,
    });

    if (values.queue !== undefined) {
      const res = await forwardAndPoll(relay, forward, {
        onTicket: (t) => info(`… request ${t.requestId}: ${t.state}`),
      });
      if (values.include) writeHead(res.status, '', Object.entries(res.headers));
      await write(res.body);
      return finish(res.status);
    }

    const res = await relay.forward(forward);
    if (values.include) writeHead(res.status, res.statusText, [...res.headers]);
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await write(value);
      }
    }
    return finish(res.status);
  },
};

function finish(status: number): number {
  if (status >= 200 && status <= 299) return EXIT_OK;
  const err = new KeyholeError('UPSTREAM_ERROR', `The destination API answered ${status}.`);
  info(`${err.code}: ${err.message}`);
  return EXIT_FAILURE;
}

function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at < 1)
      throw new UsageError(`-H expects 'Name: value', got ${JSON.stringify(line.slice(0, 40))}.`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

async function readData(arg: string): Promise<string> {
  if (arg === '@-') return (await readStdin()) ?? '';
  if (arg.startsWith('@')) {
    try {
      return readFileSync(arg.slice(1), 'utf8');
    } catch {
      throw new UsageError(`Cannot read ${arg.slice(1)}.`);
    }
  }
  return arg;
}

function writeHead(status: number, statusText: string, headers: [string, string][]): void {
  let head = `HTTP/1.1 ${status}${statusText ? ` ${statusText}` : ''}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  process.stdout.write(`${head}\r\n`);
}

/** Writes to stdout, honouring backpressure (the body may be large or slow). */
function write(chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
