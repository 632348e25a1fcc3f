// The page API in the MAIN world: window.clientSecretRequest and window.keyhole (docs/extension.md, "Page API").
// Each call opens its own MessageChannel; the request travels on the port, never through window.
import { KEYHOLE_VERSION } from '../../shared/version.js';
import { formToParams } from './form.js';
import { CALL_TYPE, READY_EVENT, REQUEST_READY_EVENT } from './messages.js';
import type { FetchTemplate, PageErrorBody, PageOp, PageReply } from './messages.js';
import { makePageError } from './page-errors.js';
import type { PageError } from './page-errors.js';

type Callback = (value: unknown) => void;

export interface KeyholePageApi {
  clientSecretRequest(input: unknown): Promise<unknown>;
  fetch(input: unknown, init?: unknown): Promise<Response>;
  secrets: { has(name: string): Promise<boolean> };
  info: { name: string; rdns: string; version: string };
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Install the page API on `win`. Returns the API object (also announced through `keyhole:ready`). */
export function installPageApi(win: Window & typeof globalThis): KeyholePageApi | undefined {
  // self.origin, not location.origin: a sandboxed document (iframe or CSP `sandbox` without
  // allow-same-origin) has an opaque origin although its url has a real one. It cannot be answered
  // on its own origin, and it must not act as that origin: no bridge.
  const origin = win.origin;
  if (!origin || origin === 'null') return undefined;

  // Captured at document_start, before page scripts can replace them.
  const Channel = win.MessageChannel;
  const post = win.postMessage.bind(win);
  const getRandomValues = win.crypto.getRandomValues.bind(win.crypto);
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const CustomEventCtor = win.CustomEvent;
  const dispatch = win.dispatchEvent.bind(win);
  const ResponseCtor = win.Response;
  const ReadableStreamCtor = win.ReadableStream;
  const HeadersCtor = win.Headers;
  const RequestCtor = win.Request;
  const URLCtor = win.URL;
  const URLSearchParamsCtor = win.URLSearchParams;
  const FormCtor = win.HTMLFormElement;
  const EventCtor = win.Event;
  const TextDecoderCtor = win.TextDecoder;

  function newCallId(): string {
    const b = new Uint8Array(12);
    getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /** Open a call: a fresh channel, port2 handed to the content script on our own origin only. */
  function openCall(op: PageOp, onReply: (reply: PageReply) => void): () => void {
    const channel = new Channel();
    let open = true;
    channel.port1.onmessage = (ev: MessageEvent) => {
      if (open) onReply(ev.data as PageReply);
    };
    post({ type: CALL_TYPE, id: newCallId() }, origin, [channel.port2]);
    channel.port1.postMessage(op);
    return () => {
      if (!open) return;
      open = false;
      try {
        channel.port1.postMessage({ op: 'cancel' });
      } finally {
        channel.port1.close();
      }
    };
  }

  function errorOf(code: string): PageError {
    return makePageError({ code, message: '' });
  }

  /** Plain data only: functions dropped, cycles and BigInts refused. */
  function cleanCopy(value: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (typeof v === 'function' || v === undefined) continue;
      out[key] = v;
    }
    return parse(stringify(out)) as Record<string, unknown>;
  }

  function safeCall(cb: Callback | undefined, value: unknown): void {
    if (typeof cb !== 'function') return;
    try {
      cb(value);
    } catch {
      // The page's own callback threw: not ours to report.
    }
  }

  function parseBody(text: string, headers: [string, string][]): unknown {
    const ct = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
    if (/[/+]json\b/i.test(ct)) {
      try {
        return parse(text);
      } catch {
        return text;
      }
    }
    return text;
  }

  /** Run a request-mode call: collect the streamed body, then resolve with the parsed body. */
  function runRequest(
    params: Record<string, unknown>,
    onStream: Callback | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let head: { status: number; headers: [string, string][] } | undefined;
      const decoder = new TextDecoderCtor();
      let text = '';
      openCall({ op: 'request', params }, (reply) => {
        switch (reply.t) {
          case 'head':
            head = { status: reply.status, headers: reply.headers };
            break;
          case 'chunk': {
            const piece = decoder.decode(reply.bytes, { stream: true });
            text += piece;
            if (piece) safeCall(onStream, piece);
            break;
          }
          case 'end': {
            const rest = decoder.decode();
            text += rest;
            if (rest) safeCall(onStream, rest);
            const status = head?.status ?? 200;
            const body = parseBody(text, head?.headers ?? []);
            if (status < 200 || status > 299) {
              reject(makePageError({ code: 'UPSTREAM_ERROR', message: '', status, body }));
            } else {
              resolve(body);
            }
            break;
          }
          case 'result':
            resolve(reply.data);
            break;
          case 'error':
            reject(makePageError(reply.error));
            break;
        }
      });
    });
  }

  async function clientSecretRequest(input: unknown): Promise<unknown> {
    let raw: Record<string, unknown>;
    if (input instanceof EventCtor) {
      input.preventDefault();
      const target = input.target;
      if (!(target instanceof FormCtor)) throw errorOf('INVALID_REQUEST');
      raw = formToParams(target);
    } else if (input instanceof FormCtor) {
      raw = formToParams(input);
    } else if (typeof input === 'object' && input !== null) {
      raw = input as Record<string, unknown>;
    } else {
      throw errorOf('INVALID_REQUEST');
    }
    const onResponse = raw.onResponse as Callback | undefined;
    const onError = raw.onError as Callback | undefined;
    const onStream = raw.onStream as Callback | undefined;
    try {
      let params: Record<string, unknown>;
      try {
        params = cleanCopy(raw);
      } catch {
        throw errorOf('INVALID_REQUEST');
      }
      const body = await runRequest(params, params.stream === true ? onStream : undefined);
      safeCall(onResponse, body);
      return body;
    } catch (err) {
      safeCall(onError, err);
      throw err;
    }
  }

  function headersToRecord(h: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (h === undefined || h === null) return out;
    new HeadersCtor(h as HeadersInit).forEach((v, k) => {
      out[k] = v;
    });
    return out;
  }

  async function bodyToString(
    body: unknown,
    headers: Record<string, string>,
  ): Promise<string | undefined> {
    if (body === undefined || body === null) return undefined;
    if (typeof body === 'string') return body;
    if (body instanceof URLSearchParamsCtor) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
      return body.toString();
    }
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof win.Blob) {
      return new ResponseCtor(body as BodyInit).text();
    }
    if (body instanceof win.FormData || body instanceof ReadableStreamCtor)
      throw errorOf('INVALID_REQUEST');
    // Qatium style: a plain object body is sent as JSON.
    headers['content-type'] ??= 'application/json';
    return stringify(body);
  }

  async function toTemplate(input: unknown, init: unknown): Promise<FetchTemplate> {
    const opts = (typeof init === 'object' && init !== null ? init : {}) as Record<string, unknown>;
    let url: string;
    let method = 'GET';
    let headers: Record<string, string> = {};
    let body: string | undefined;
    if (input instanceof RequestCtor) {
      url = input.url;
      method = input.method;
      headers = headersToRecord(input.headers);
      if (input.body) body = await input.text();
    } else if (input instanceof URLCtor) {
      url = input.href;
    } else if (typeof input === 'string') {
      url = input;
    } else {
      throw errorOf('INVALID_REQUEST');
    }
    if (typeof opts.method === 'string') method = opts.method.toUpperCase();
    if (opts.headers !== undefined) headers = headersToRecord(opts.headers);
    if (opts.body !== undefined) body = await bodyToString(opts.body, headers);
    const out: FetchTemplate = { url, method, headers };
    if (body !== undefined) out.body = body;
    return out;
  }

  async function keyholeFetch(input: unknown, init?: unknown): Promise<Response> {
    let template: FetchTemplate;
    try {
      template = await toTemplate(input, init);
    } catch (err) {
      if (err instanceof Error && 'code' in err) throw err;
      throw errorOf('INVALID_REQUEST');
    }
    const signal = (init as { signal?: AbortSignal } | undefined)?.signal;
    if (signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    return new Promise<Response>((resolve, reject) => {
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let settled = false;
      const cancel = openCall({ op: 'fetch', request: template }, (reply) => {
        switch (reply.t) {
          case 'head': {
            settled = true;
            const nullBody = NULL_BODY_STATUS.has(reply.status);
            const stream = nullBody
              ? null
              : new ReadableStreamCtor<Uint8Array>({
                  start(c) {
                    controller = c;
                  },
                  cancel() {
                    cancel();
                  },
                });
            resolve(
              new ResponseCtor(stream, {
                status: reply.status,
                statusText: reply.statusText,
                headers: reply.headers,
              }),
            );
            break;
          }
          case 'chunk':
            controller?.enqueue(reply.bytes);
            break;
          case 'end':
            controller?.close();
            break;
          case 'error': {
            const err = makePageError(reply.error as PageErrorBody);
            if (!settled) {
              settled = true;
              reject(err);
            } else {
              controller?.error(err);
            }
            break;
          }
          case 'result':
            break;
        }
      });
      signal?.addEventListener('abort', () => {
        cancel();
        const abortErr = new DOMException('The operation was aborted.', 'AbortError');
        if (!settled) {
          settled = true;
          reject(abortErr);
        } else {
          try {
            controller?.error(abortErr);
          } catch {
            // already closed
          }
        }
      });
    });
  }

  function has(name: string): Promise<boolean> {
    if (typeof name !== 'string') return Promise.resolve(false);
    return new Promise((resolve) => {
      openCall({ op: 'has', name }, (reply) => {
        resolve(reply.t === 'result' && reply.data === true);
      });
    });
  }

  const api: KeyholePageApi = Object.freeze({
    clientSecretRequest,
    fetch: keyholeFetch,
    secrets: Object.freeze({ has }),
    info: Object.freeze({ name: 'Keyhole', rdns: 'dev.keyhole', version: KEYHOLE_VERSION }),
  });

  // Never fight another script over a global: define only what is still free, read-only.
  function defineGlobal(name: string, value: unknown): void {
    if (Object.getOwnPropertyDescriptor(win, name)) return;
    Object.defineProperty(win, name, {
      value,
      writable: false,
      configurable: false,
      enumerable: false,
    });
  }
  defineGlobal('keyhole', api);
  defineGlobal('clientSecretRequest', clientSecretRequest);

  const announce = (): void => {
    dispatch(
      new CustomEventCtor(READY_EVENT, {
        detail: Object.freeze({ info: api.info, provider: api }),
      }),
    );
  };
  win.addEventListener(REQUEST_READY_EVENT, announce);
  announce();
  return api;
}
