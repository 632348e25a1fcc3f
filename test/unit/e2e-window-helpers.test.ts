// The e2e approval-window helpers (test/e2e/browser.ts) on a stand-in context: only a timeout with
// the browser still open reads as "no window". A closed or crashed browser opens no window either,
// and reading that as "none appeared" would pass a consent test that should fail.
import { errors } from 'playwright-core';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  approvalWindow,
  assertBrowserOpen,
  clickIn,
  noApprovalWindowWithin,
  type ExtensionBrowser,
} from '../e2e/browser.js';

const CLOSED = 'Target page, context or browser has been closed';

/** A browser whose next waitForEvent settles as `next`; `closed` and `answers` say its state. */
function stand(
  next: 'timeout' | 'closed' | 'window',
  state: { closed?: boolean; answers?: boolean } = {},
): ExtensionBrowser {
  const context = {
    waitForEvent: () =>
      next === 'window'
        ? Promise.resolve({ url: () => 'chrome-extension://x/approval.html' })
        : Promise.reject(
            next === 'timeout'
              ? new errors.TimeoutError('Timeout 800ms exceeded')
              : new Error(CLOSED),
          ),
    cookies: () =>
      state.answers === false ? Promise.reject(new Error(CLOSED)) : Promise.resolve([]),
  } as unknown as BrowserContext;
  return {
    context,
    extensionId: 'x',
    worker: {} as Worker,
    isClosed: () => state.closed ?? false,
    close: () => Promise.resolve(),
  };
}

/** An approval window whose button click fails (the window closed), in a given state. */
function windowThatClosed(): Page {
  return {
    getByTestId: () => ({ click: () => Promise.reject(new Error(CLOSED)) }),
    isClosed: () => true,
  } as unknown as Page;
}

describe('e2e approval-window helpers', () => {
  it('a timeout with the browser open is "no window"; a window is "a window"', async () => {
    expect(await noApprovalWindowWithin(stand('timeout'), 800)).toBe(true);
    expect(await noApprovalWindowWithin(stand('window'), 800)).toBe(false);
  });

  it('a closed context is a failure, never "no window"', async () => {
    await expect(noApprovalWindowWithin(stand('closed', { closed: true }), 800)).rejects.toThrow(
      /browser closed/,
    );
    // Closed, but the close event has not fired yet: the error alone is enough.
    await expect(noApprovalWindowWithin(stand('closed'), 800)).rejects.toThrow(/browser closed/);
  });

  it('a timeout while the browser closed (or stopped answering) is a failure too', async () => {
    await expect(noApprovalWindowWithin(stand('timeout', { closed: true }), 800)).rejects.toThrow(
      /browser closed/,
    );
    await expect(noApprovalWindowWithin(stand('timeout', { answers: false }), 800)).rejects.toThrow(
      /browser closed/,
    );
  });

  it('waiting for a window names a closed browser rather than a missing window', async () => {
    await expect(approvalWindow(stand('closed', { closed: true }))).rejects.toThrow(
      /browser closed/,
    );
    await expect(approvalWindow(stand('timeout'), 800)).rejects.toThrow(
      /no approval window opened within 800 ms/,
    );
  });

  it('a click that closed its window is fine; one whose browser closed is not', async () => {
    await expect(clickIn(stand('window'), windowThatClosed(), 'approve')).resolves.toBeUndefined();
    await expect(
      clickIn(stand('window', { closed: true }), windowThatClosed(), 'approve'),
    ).rejects.toThrow(/browser closed/);
    await expect(
      clickIn(stand('window', { answers: false }), windowThatClosed(), 'approve'),
    ).rejects.toThrow(/browser closed/);
  });

  it('assertBrowserOpen passes an open browser and stops a closed one', async () => {
    await expect(assertBrowserOpen(stand('window'), 'scan')).resolves.toBeUndefined();
    await expect(assertBrowserOpen(stand('window', { closed: true }), 'scan')).rejects.toThrow(
      /scan: the browser closed/,
    );
  });
});
