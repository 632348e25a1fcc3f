// One log line per request: method, path (never the query), status, milliseconds.
import type { MiddlewareHandler } from 'hono';
import type pino from 'pino';

export function requestLog(logger: pino.Logger): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = Math.round((performance.now() - start) * 10) / 10;
    logger.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request');
  };
}
