// The streaming answer's sink on Node's own ServerResponse, so the upstream body goes socket to
// socket without Web streams.
import type { ServerResponse } from 'node:http';
import { withSecurityHeaders } from '../http/security-headers.js';
import type { AnswerSink } from './execute.js';

/**
 * An answer that is complete within the tick its headers arrived in (the common small JSON
 * answer) goes out as one write with a Content-Length; anything longer is flushed at the end of
 * that tick and streamed from then on (chunked), so an SSE stream still arrives event by event.
 */
class NodeSink implements AnswerSink {
  private status = 200;
  private headers: Record<string, string | string[]> = {};
  /** chunks held until the end of the tick the headers came in; null once streaming */
  private held: Buffer[] | null = null;

  constructor(private readonly res: ServerResponse) {}

  start(status: number, headers: Record<string, string | string[]>): void {
    this.status = status;
    this.headers = withSecurityHeaders(headers);
    this.held = [];
    this.res.statusCode = status; // (for the request log; writeHead sets it again)
    setImmediate(flushHeld, this);
  }

  /** End of the first tick: the answer is still running, so stream it. */
  flush(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    const res = this.res;
    if (res.destroyed) return;
    res.writeHead(this.status, this.headers);
    if (held.length === 0) res.flushHeaders();
    for (const chunk of held) res.write(chunk);
  }

  write(chunk: Buffer): boolean {
    if (this.held) {
      this.held.push(chunk);
      return true;
    }
    return this.res.write(chunk);
  }

  onceDrain(resume: () => void): void {
    this.res.once('drain', resume);
  }

  end(): void {
    const held = this.held;
    const res = this.res;
    if (!held) {
      res.end();
      return;
    }
    this.held = null;
    if (res.destroyed) return;
    const body = held.length === 1 ? held[0]! : Buffer.concat(held);
    // 204 and 304 carry no body and no length.
    if (this.status !== 204 && this.status !== 304)
      this.headers['content-length'] = String(body.length);
    res.writeHead(this.status, this.headers);
    res.end(body);
  }

  abort(): void {
    const res = this.res;
    if (this.held && !res.destroyed) {
      // As if streaming had begun: what was held (already scrubbed) goes out, then the cut — the
      // caller sees a truncated answer, never a silently short one. (Node corks a response's
      // first write until the next tick; destroySoon lets it out before closing.)
      this.flush();
      if (res.socket) {
        res.socket.destroySoon();
        return;
      }
    }
    this.held = null;
    res.destroy();
  }

  onClose(cb: () => void): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished) cb();
    });
  }
}

function flushHeld(sink: NodeSink): void {
  sink.flush();
}

export function nodeSink(res: ServerResponse): AnswerSink {
  return new NodeSink(res);
}
