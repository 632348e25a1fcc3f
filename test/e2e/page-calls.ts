// e2e helpers: run page API calls inside a page or frame and record everything the page could see
// (resolved values, rejections, console lines) for the "no secret reaches the page" scan.
import type { Frame, Page } from 'playwright-core';

export type CallOutcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; message: string; status?: number; body?: unknown; name: string };

export class PageWitness {
  /** every value a page got back, as JSON text */
  readonly seen: string[] = [];
  readonly console: string[] = [];

  watch(page: Page): Page {
    page.on('console', (m) => this.console.push(m.text()));
    page.on('pageerror', (e) => this.console.push(String(e)));
    return page;
  }

  /** clientSecretRequest(params) in the page's main world. */
  async request(target: Page | Frame, params: Record<string, unknown>): Promise<CallOutcome> {
    const out = await target.evaluate(async (p) => {
      const w = window as unknown as {
        clientSecretRequest(x: unknown): Promise<unknown>;
        __ready?: Promise<unknown>;
      };
      await w.__ready;
      try {
        return { ok: true as const, value: await w.clientSecretRequest(p) };
      } catch (e) {
        const err = e as {
          code: string;
          message: string;
          status?: number;
          body?: unknown;
          name: string;
        };
        return {
          ok: false as const,
          code: err.code,
          message: err.message,
          status: err.status,
          body: err.body,
          name: err.name,
        };
      }
    }, params);
    this.seen.push(JSON.stringify(out));
    return out;
  }

  /** keyhole.fetch(url, init) → { status, chunks, text, elapsed per chunk } */
  async fetch(
    target: Page | Frame,
    url: string,
    init: Record<string, unknown>,
  ): Promise<
    | { ok: true; status: number; chunks: number; text: string; contentType: string | null }
    | CallOutcome
  > {
    const out = await target.evaluate(
      async ({ url, init }) => {
        const w = window as unknown as {
          keyhole: { fetch(u: string, i: unknown): Promise<Response> };
          __ready?: Promise<unknown>;
        };
        await w.__ready;
        try {
          const res = await w.keyhole.fetch(url, init);
          const reader = (res.body as ReadableStream<Uint8Array>).getReader();
          const dec = new TextDecoder();
          let text = '';
          let chunks = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks++;
            text += dec.decode(value, { stream: true });
          }
          return {
            ok: true as const,
            status: res.status,
            chunks,
            text,
            contentType: res.headers.get('content-type'),
          };
        } catch (e) {
          const err = e as { code: string; message: string; name: string };
          return { ok: false as const, code: err.code, message: err.message, name: err.name };
        }
      },
      { url, init },
    );
    this.seen.push(JSON.stringify(out));
    return out;
  }

  async has(target: Page | Frame, name: string): Promise<boolean> {
    const out = await target.evaluate(async (n) => {
      const w = window as unknown as {
        keyhole: { secrets: { has(x: string): Promise<boolean> } };
        __ready?: Promise<unknown>;
      };
      await w.__ready;
      return w.keyhole.secrets.has(n);
    }, name);
    this.seen.push(JSON.stringify(out));
    return out;
  }
}
