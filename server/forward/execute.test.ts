// execute(): one upstream exchange into a sink — timeouts before headers, the decoded-size cap,
// a cut after the headers, backpressure and a caller that goes away. Real undici against a
// loopback node:http upstream; the sink is a recording one.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../shared/policy/url.js';
import { execute, type AnswerSink } from './execute.js';
import type { OutgoingRequest } from './substitute.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end('ok');
let server: Server;
let origin: string;
const agent = new Agent({ keepAliveTimeout: 10 });

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  handler = (_req, res) => res.end('ok');
});

function request(path = '/'): OutgoingRequest {
  const url = new URL(path, origin);
  const dest: Destination = { url, scheme: 'http', hostname: url.hostname, port: Number(url.port) };
  return { dest, method: 'GET', path, headers: {}, body: null };
}

interface RecordingSink extends AnswerSink {
  events: string[];
  body(): string;
  drain?: () => void;
  closeCaller(): void;
  accept: boolean;
}

function recordingSink(): RecordingSink {
  const chunks: Buffer[] = [];
  let closed: (() => void) | undefined;
  const sink: RecordingSink = {
    events: [],
    accept: true,
    start(status) {
      sink.events.push(`start ${status}`);
    },
    write(chunk) {
      chunks.push(chunk);
      return sink.accept;
    },
    onceDrain(resume) {
      sink.events.push('paused');
      sink.drain = resume;
    },
    end() {
      sink.events.push('end');
    },
    abort() {
      sink.events.push('abort');
    },
    onClose(cb) {
      closed = cb;
    },
    body: () => Buffer.concat(chunks).toString(),
    closeCaller: () => closed?.(),
  };
  return sink;
}

const limits = { maxResponseBytes: 1024 * 1024, totalTimeoutMs: 2_000 };

describe('execute', () => {
  it('streams a plain answer, scrubbed, and ends the sink', async () => {
    handler = (_req, res) => res.end('value=sk-SECRET-1234 done');
    const sink = recordingSink();
    const run = execute(agent, request(), ['sk-SECRET-1234'], sink, limits);
    await run.started;
    const outcome = await run.done;
    expect(outcome).toEqual({ started: true, status: 200 });
    expect(sink.events).toEqual(['start 200', 'end']);
    expect(sink.body()).not.toContain('sk-SECRET-1234');
    expect(sink.body()).toMatch(/^value=.+ done$/);
  });

  it('times out before the headers: started rejects, the sink never starts', async () => {
    handler = () => undefined; // never answers
    const sink = recordingSink();
    const run = execute(agent, request(), [], sink, { ...limits, totalTimeoutMs: 150 });
    await expect(run.started).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    const outcome = await run.done;
    expect(outcome.started).toBe(false);
    expect(outcome.error?.code).toBe('UPSTREAM_TIMEOUT');
    expect(sink.events).toEqual([]);
  });

  it('cuts a compressed answer that inflates past the cap (counted after decoding)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x61)); // ~4 KiB on the wire
    handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length });
      res.end(bomb);
    };
    const sink = recordingSink();
    const run = execute(agent, request(), [], sink, { ...limits, maxResponseBytes: 64 * 1024 });
    await run.started;
    const outcome = await run.done;
    expect(outcome.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(sink.events).toEqual(['start 200', 'abort']);
    expect(sink.body().length).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
  });

  it('decodes gzip so the scrubber sees the plain bytes', async () => {
    const packed = gzipSync(Buffer.from('echo: sk-SECRET-1234'));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(packed);
    };
    const sink = recordingSink();
    const run = execute(agent, request(), ['sk-SECRET-1234'], sink, limits);
    await run.done;
    expect(sink.body().startsWith('echo: ')).toBe(true);
    expect(sink.body()).not.toContain('sk-SECRET-1234');
  });

  it('aborts the sink when the upstream dies after the headers', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part ');
      setTimeout(() => res.socket?.destroy(), 30);
    };
    const sink = recordingSink();
    const run = execute(agent, request(), [], sink, limits);
    await run.started;
    const outcome = await run.done;
    expect(outcome.started).toBe(true);
    expect(outcome.error).toBeDefined();
    expect(sink.events).toEqual(['start 200', 'abort']);
  });

  it('pauses the upstream while the sink is full and resumes on drain', async () => {
    const piece = Buffer.alloc(16 * 1024, 0x62);
    const pieces = 64;
    handler = (_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const pump = (): void => {
        while (sent < pieces) {
          sent++;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    };
    const sink = recordingSink();
    sink.accept = false;
    const run = execute(agent, request(), [], sink, { ...limits, totalTimeoutMs: 10_000 });
    await run.started;
    await expect.poll(() => sink.drain !== undefined).toBe(true);
    const held = sink.body().length;
    await new Promise((r) => setTimeout(r, 100));
    // Paused: at most what was already in flight arrives, not the whole 1 MiB.
    expect(sink.body().length).toBeLessThan(pieces * piece.length);
    expect(held).toBeGreaterThan(0);
    sink.accept = true;
    sink.drain?.();
    const outcome = await run.done;
    expect(outcome.error).toBeUndefined();
    expect(sink.body().length).toBe(pieces * piece.length);
    expect(sink.events).toContain('paused');
  });

  it('stops the upstream when the caller goes away', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('tick');
      res.on('close', upstreamClosed);
    };
    const sink = recordingSink();
    const run = execute(agent, request(), [], sink, limits);
    await run.started;
    sink.closeCaller();
    const outcome = await run.done;
    expect(outcome.error?.code).toBe('UPSTREAM_UNREACHABLE');
    await closed; // the upstream socket was torn down, not left streaming
  });
});
