// createApp without ports (app.request), on an in-memory SQLite store: error mapping, 404s, limits.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyholeError } from '../shared/errors.js';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { openStore } from './db/open-store.js';
import type { Store } from './db/store-types.js';
import { createOnError } from './http/on-error.js';
import { startRelay } from './main.js';
import { Hono } from 'hono';

let store: Store;
let logs = '';
const logger = pino(
  { redact: { paths: ['*.authKey'], censor: '[redacted]' } },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  }),
);

beforeAll(async () => {
  store = await openStore(':memory:');
});
afterAll(async () => {
  await store.close();
});

describe('createApp', () => {
  it('answers unknown routes and bad bodies with coded JSON errors', async () => {
    const app = createApp({ store, config: loadConfig({}), logger });
    const missing = await app.request('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('keyhole-error')).toBe('NOT_FOUND');
    const bad = await app.request('/v1/auth/prelogin', { method: 'POST', body: '{"email": 1}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain(
      'body.email',
    );
  });

  it('refuses a declared body over the cap before parsing it', async () => {
    const app = createApp({ store, config: loadConfig({ KEYHOLE_MAX_BODY: '2048' }), logger });
    const res = await app.request('/v1/auth/prelogin', {
      method: 'POST',
      body: 'x'.repeat(4096),
      headers: { 'content-length': '4096' },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
  });

  it('health reports the store', async () => {
    const app = createApp({ store, config: loadConfig({}), logger });
    expect(await (await app.request('/v1/health')).json()).toEqual({ ok: true, store: 'sqlite' });
  });
});

describe('onError', () => {
  it('turns unknown errors into INTERNAL: cause logged, never sent', async () => {
    const app = new Hono();
    app.get('/boom', () => {
      throw new Error('secret detail in a stack');
    });
    app.get('/typed', () => {
      throw new KeyholeError('RATE_LIMITED', undefined, { retryAfter: 7 });
    });
    app.onError(createOnError(logger));
    const boom = await app.request('/boom');
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error.' } });
    expect(logs).toContain('secret detail');
    const typed = await app.request('/typed');
    expect(typed.status).toBe(429);
    expect(typed.headers.get('retry-after')).toBe('7');
  });
});

describe('one way into POST /v1/forward', () => {
  it('has no Hono route: only the Node handler of createRelay answers it', async () => {
    const app = createApp({ store, config: loadConfig({}), logger });
    const res = await app.request('/v1/forward?x=1', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('keyhole-error')).toBe('NOT_FOUND');
  });

  it('serves /v1/forward with or without a query the same way, with the security headers every route has', async () => {
    const relay = await startRelay({
      db: ':memory:',
      port: 0,
      host: '127.0.0.1',
      env: {},
      config: { logLevel: 'silent' },
      logger,
      announce: () => undefined,
    });
    try {
      for (const path of ['/v1/forward', '/v1/forward?x=1', '/v1/forward?']) {
        const res = await fetch(relay.url + path, { method: 'POST', body: '{}' });
        expect(res.status, path).toBe(401);
        expect(res.headers.get('keyhole-error')).toBe('UNAUTHENTICATED');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      for (const [method, path] of [
        ['GET', '/v1/health'],
        ['GET', '/v1/nothing'],
        ['POST', '/v1/forward/'],
        ['GET', '/v1/forward'],
      ] as const) {
        const res = await fetch(relay.url + path, { method });
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
        expect(res.headers.get('cache-control'), path).toBe('no-store');
      }
    } finally {
      await relay.close();
    }
  });
});
