// nodeSink(): a one-tick answer goes out whole with a Content-Length; a longer one streams
// chunk by chunk; a cut after the headers reaches the caller as a truncated answer.
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerSink } from './execute.js';
import { nodeSink } from './node-sink.js';

let drive: (sink: AnswerSink, res: ServerResponse) => void = (sink) => sink.end();
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_req, res) => drive(nodeSink(res), res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  chunks: { at: number; text: string }[];
  error?: string;
}

function get(): Promise<Got> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      const got: Got = { status: res.statusCode ?? 0, headers: res.headers, chunks: [] };
      res.on('data', (c: Buffer) =>
        got.chunks.push({ at: performance.now() - t0, text: c.toString() }),
      );
      res.on('end', () => resolve(got));
      res.on('error', (e) => resolve({ ...got, error: e.message }));
      res.on('aborted', () => resolve({ ...got, error: 'aborted' }));
    });
    req.end();
  });
}

describe('nodeSink', () => {
  it('sends an answer complete within one tick as one body with a Content-Length', async () => {
    drive = (sink) => {
      sink.start(201, { 'content-type': 'application/json' });
      sink.write(Buffer.from('{"a":'));
      sink.write(Buffer.from('1}'));
      sink.end();
    };
    const got = await get();
    expect(got.status).toBe(201);
    expect(got.headers['content-length']).toBe('7');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['cache-control']).toBe('no-store');
    expect(got.chunks.map((c) => c.text).join('')).toBe('{"a":1}');
  });

  it('streams an answer that outlives its first tick, chunk by chunk', async () => {
    drive = (sink) => {
      sink.start(200, { 'content-type': 'text/event-stream' });
      sink.write(Buffer.from('data: 1\n\n'));
      setTimeout(() => {
        sink.write(Buffer.from('data: 2\n\n'));
        setTimeout(() => sink.end(), 60);
      }, 60);
    };
    const got = await get();
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expect(got.chunks.map((c) => c.text).join('')).toBe('data: 1\n\ndata: 2\n\n');
    // the first event arrived well before the end, not buffered until it
    expect(got.chunks.length).toBeGreaterThanOrEqual(2);
    expect(got.chunks.at(-1)!.at - got.chunks[0]!.at).toBeGreaterThan(40);
  });

  it('cuts a started answer: the caller sees a truncated body, never a silently short one', async () => {
    drive = (sink) => {
      sink.start(200, { 'content-type': 'text/plain' });
      sink.write(Buffer.from('partial'));
      sink.abort();
    };
    const got = await get();
    expect(got.chunks.map((c) => c.text).join('')).toBe('partial');
    expect(got.error).toBeDefined();
  });

  it('reports a caller that went away before the end, and not one served in full', async () => {
    let closedEarly = 0;
    drive = (sink) => {
      sink.onClose(() => closedEarly++);
      sink.start(200, {});
      sink.end();
    };
    await get();
    await new Promise((r) => setTimeout(r, 20));
    expect(closedEarly).toBe(0);
  });
});
