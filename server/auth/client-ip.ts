// The client's IP for throttling: the socket's peer, or (behind one trusted reverse proxy) the
// last X-Forwarded-For entry, which is the one that proxy wrote.
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';

export function clientIp(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').pop()?.trim();
    if (last) return last;
  }
  // c.env is undefined under app.request() in unit tests.
  return (
    (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming?.socket.remoteAddress ?? 'unknown'
  );
}
