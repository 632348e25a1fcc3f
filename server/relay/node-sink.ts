// The streaming answer's sink on Node's own ServerResponse (from @hono/node-server's c.env), so the
// upstream body goes socket to socket without Web streams.
import type { ServerResponse } from 'node:http';
import type { AnswerSink } from './execute.js';

export function nodeSink(res: ServerResponse): AnswerSink {
  return {
    start(status, headers) {
      headers['x-content-type-options'] = 'nosniff';
      if (headers['cache-control'] === undefined) headers['cache-control'] = 'no-store';
      res.writeHead(status, headers);
      // Headers go out with the first chunk; if none comes at once (SSE), send them on their own.
      setImmediate(() => {
        if (!res.headersSent && !res.destroyed) res.flushHeaders();
      });
    },
    write: (chunk) => res.write(chunk),
    onceDrain: (resume) => void res.once('drain', resume),
    end: () => void res.end(),
    abort: () => void res.destroy(),
    onClose(cb) {
      res.once('close', () => {
        if (!res.writableFinished) cb();
      });
    },
  };
}

/** For app.request() (no Node response): collects the answer, returned as a Web Response. */
export function bufferSink(): AnswerSink & { response(): Promise<Response> } {
  let status = 200;
  let headers: Record<string, string | string[]> = {};
  const chunks: Buffer[] = [];
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  return {
    start(s, h) {
      status = s;
      headers = h;
    },
    write(chunk) {
      chunks.push(chunk);
      return true;
    },
    onceDrain: () => undefined,
    end: () => resolveEnd(),
    abort: () => resolveEnd(),
    onClose: () => undefined,
    async response() {
      await ended;
      const h = new Headers();
      for (const [k, v] of Object.entries(headers))
        for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
      const noBody = status === 204 || status === 304 || status < 200;
      return new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h });
    },
  };
}
