// Step "read body" of a forward (session or grant): straight from Node's IncomingMessage (no Web
// streams), chunked or not, capped — a declared Content-Length over the cap is refused before a
// byte is read, an undeclared one as soon as it passes the cap.
import type { IncomingMessage } from 'node:http';
import { KeyholeError } from '../../../shared/errors.js';

export function tooLarge(max: number): KeyholeError {
  return new KeyholeError('PAYLOAD_TOO_LARGE', `The forward request is larger than ${max} bytes.`);
}

/** The body as text, at most `max` bytes (PAYLOAD_TOO_LARGE otherwise). */
export function readBody(incoming: IncomingMessage, max: number): Promise<string> {
  const declared = incoming.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > max) return Promise.reject(tooLarge(max));
  }
  return readIncoming(incoming, max);
}

/** The body without the declared-length check (the bench's floor reads it this way too). */
export function readIncoming(incoming: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => new BodyReader(incoming, max, resolve, reject).start());
}

class BodyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => this.end();
  private readonly onError = (): void => this.error();

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly max: number,
    private readonly resolve: (text: string) => void,
    private readonly reject: (err: KeyholeError) => void,
  ) {}

  start(): void {
    this.incoming.on('data', this.onData);
    this.incoming.once('end', this.onEnd);
    this.incoming.on('error', this.onError);
  }

  private data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      this.detach();
      this.chunks = [];
      this.incoming.resume();
      this.reject(tooLarge(this.max));
      return;
    }
    this.chunks.push(chunk);
  }

  private end(): void {
    this.detach();
    const c = this.chunks;
    this.resolve(c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8'));
  }

  /** (stays registered: an aborted upload after the answer must not be an unhandled error) */
  private error(): void {
    if (this.settled) return;
    this.detach();
    this.reject(new KeyholeError('INVALID_REQUEST', 'The request body could not be read.'));
  }

  private detach(): void {
    this.settled = true;
    this.incoming.off('data', this.onData);
    this.incoming.off('end', this.onEnd);
  }
}
