// The ISOLATED-world half of the bridge: accepts a call announcement only from this very window on its
// own origin, then shuttles messages between the call's MessagePort and a runtime port to the background.
import { base64ToBytes, isCallMessage, isPageOp, PAGE_PORT_NAME } from './messages.js';
import type { BackgroundReply, PageErrorBody, PageReply } from './messages.js';
import { pageErrorBody } from './page-errors.js';

export interface RuntimePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(cb: (message: unknown) => void): void };
  onDisconnect: { addListener(cb: () => void): void };
}

export interface IsolatedDeps {
  win: Window;
  connect: (name: string) => RuntimePort;
}

function toPageReply(msg: BackgroundReply): { reply: PageReply; transfer: Transferable[] } {
  if (msg.t === 'chunk') {
    const bytes = base64ToBytes(msg.b64);
    return { reply: { t: 'chunk', bytes }, transfer: [bytes.buffer] };
  }
  return { reply: msg, transfer: [] };
}

/** Handle one accepted call: page port ⇄ runtime port. */
export function relayCall(pagePort: MessagePort, connect: IsolatedDeps['connect']): void {
  let bg: RuntimePort | undefined;
  let done = false;
  const fail = (error: PageErrorBody): void => {
    if (done) return;
    done = true;
    pagePort.postMessage({ t: 'error', error } satisfies PageReply);
    pagePort.close();
  };
  pagePort.onmessage = (ev: MessageEvent) => {
    const op: unknown = ev.data;
    if (!isPageOp(op)) return fail(pageErrorBody('INVALID_REQUEST'));
    if (op.op === 'cancel') {
      done = true;
      bg?.disconnect();
      pagePort.close();
      return;
    }
    if (bg) return; // one operation per call
    try {
      bg = connect(PAGE_PORT_NAME);
    } catch {
      // The extension was reloaded or removed under this page.
      return fail(pageErrorBody('RELAY_UNAVAILABLE'));
    }
    bg.onMessage.addListener((raw) => {
      if (done) return;
      const msg = raw as BackgroundReply;
      const { reply, transfer } = toPageReply(msg);
      pagePort.postMessage(reply, transfer);
      if (msg.t === 'end' || msg.t === 'error' || msg.t === 'result') {
        done = true;
        bg?.disconnect();
        pagePort.close();
      }
    });
    bg.onDisconnect.addListener(() => fail(pageErrorBody('RELAY_UNAVAILABLE')));
    bg.postMessage(op);
  };
}

/** Listen on the window for call announcements; everything that is not exactly ours is ignored. */
export function installIsolatedShuttle({ win, connect }: IsolatedDeps): void {
  // self.origin: opaque ('null') in a sandboxed document, whatever its url says.
  const ownOrigin = win.origin;
  win.addEventListener(
    'message',
    (event: MessageEvent) => {
      if (event.source !== win) return; // not from another frame or window
      if (event.origin !== ownOrigin || ownOrigin === 'null') return;
      if (!isCallMessage(event.data)) return;
      if (event.ports.length !== 1) return;
      const port = event.ports[0];
      if (!port) return;
      relayCall(port, connect);
    },
    true,
  );
}
