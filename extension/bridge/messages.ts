// The bridge's message shapes: page (MAIN world) ↔ content script (ISOLATED) ↔ background.
// docs/extension.md, "Bridge protocol". Every call travels on its own MessageChannel / runtime port.

/** window.postMessage from the MAIN world to the ISOLATED world, with one MessagePort transferred. */
export const CALL_TYPE = 'keyhole:call';
/** EIP-6963 style announcement on window, and the page's request for a re-announcement. */
export const READY_EVENT = 'keyhole:ready';
export const REQUEST_READY_EVENT = 'keyhole:request-ready';
/** chrome.runtime.connect name for one page call. */
export const PAGE_PORT_NAME = 'keyhole-page';
/** chrome.runtime.connect name for the approval window. */
export const APPROVAL_PORT_NAME = 'keyhole-approval';

export interface CallMessage {
  type: typeof CALL_TYPE;
  id: string;
}

/** What the page may express in a keyhole.fetch() call after normalisation in the MAIN world. */
export interface FetchTemplate {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Page → background, the first (and for `cancel` the second) message on a call's port. */
export type PageOp =
  | { op: 'request'; params: Record<string, unknown> }
  | { op: 'fetch'; request: FetchTemplate }
  | { op: 'has'; name: string }
  | { op: 'cancel' };

export interface PageErrorBody {
  code: string;
  message: string;
  status?: number;
  body?: unknown;
  /** HOST_NOT_ALLOWED only: `PRIVATE_ADDRESS` when the relay refused a private/loopback address */
  reason?: string;
  /** with reason PRIVATE_ADDRESS: the `host:port` to list in KEYHOLE_ALLOW_PRIVATE */
  allowPrivate?: string;
}

/** Background → content script. Chunks are base64 (runtime messages are JSON). */
export type BackgroundReply =
  | { t: 'result'; data: unknown }
  | { t: 'head'; status: number; statusText: string; headers: [string, string][] }
  | { t: 'chunk'; b64: string }
  | { t: 'end' }
  | { t: 'error'; error: PageErrorBody };

/** Content script → page: the same, with chunks as bytes (transferred). */
export type PageReply =
  | { t: 'result'; data: unknown }
  | { t: 'head'; status: number; statusText: string; headers: [string, string][] }
  | { t: 'chunk'; bytes: Uint8Array }
  | { t: 'end' }
  | { t: 'error'; error: PageErrorBody };

const PAGE_OPS = new Set(['request', 'fetch', 'has', 'cancel']);
const MAX_ID = 64;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The exact shape of a call announcement: `{ type, id }` and nothing else. */
export function isCallMessage(data: unknown): data is CallMessage {
  if (!isPlainObject(data)) return false;
  const keys = Object.keys(data);
  return (
    keys.length === 2 &&
    data.type === CALL_TYPE &&
    typeof data.id === 'string' &&
    data.id.length > 0 &&
    data.id.length <= MAX_ID
  );
}

/** A page op as the content script and the background accept it (the background re-validates fields). */
export function isPageOp(data: unknown): data is PageOp {
  if (!isPlainObject(data) || typeof data.op !== 'string' || !PAGE_OPS.has(data.op)) return false;
  switch (data.op) {
    case 'request':
      return isPlainObject(data.params);
    case 'fetch':
      return isPlainObject(data.request);
    case 'has':
      return typeof data.name === 'string';
    default:
      return true;
  }
}

/** base64 helpers that work in the service worker, content scripts and pages. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    bin += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(bin);
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
