// The popup's one way to ask the background: `send('save', { … })` resolves with that kind's own
// response type, or throws a UiError carrying the stable code (and the relay's reason, if any).
import { browser } from 'wxt/browser';
import type { UiArgs, UiKind, UiResponse, UiResult } from './protocol.js';

export class UiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'UiError';
  }
}

export async function send<K extends UiKind>(kind: K, args: UiArgs<K>): Promise<UiResponse<K>> {
  let res: UiResult<UiResponse<K>> | undefined;
  try {
    res = (await browser.runtime.sendMessage({ ...args, ui: kind })) as
      UiResult<UiResponse<K>> | undefined;
  } catch {
    throw new UiError('INTERNAL', 'The extension background did not answer. Reopen the popup.');
  }
  if (!res) throw new UiError('INTERNAL', 'The extension background did not answer.');
  if (!res.ok) throw new UiError(res.error.code, res.error.message, res.error.reason);
  return res.data;
}
