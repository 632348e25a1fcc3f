// The approval window: shows the head of the queue (origin, secret, destination, method) with
// Allow once / Always allow / Deny. Buttons arm only after a short delay (no click-through).
import { browser } from 'wxt/browser';
import type { ApprovalView, Decision } from '../background/approvals.js';
import { APPROVAL_PORT_NAME } from '../bridge/messages.js';
import { h } from '../ui/dom.js';
import type { ApprovalToBackground, BackgroundToApproval } from '../ui/protocol.js';

export function mountApproval(root: HTMLElement): void {
  const port = browser.runtime.connect({ name: APPROVAL_PORT_NAME });
  let view: ApprovalView = { prompts: [], armInMs: 500 };
  let armTimer: ReturnType<typeof setTimeout> | undefined;
  let shownId = '';

  function decide(id: string, decision: Decision): void {
    port.postMessage({ decide: id, decision } satisfies ApprovalToBackground);
  }

  function render(): void {
    const head = view.prompts[0];
    if (!head) {
      root.replaceChildren(h('p', { class: 'muted' }, 'No requests waiting.'));
      return;
    }
    const buttons = [
      h(
        'button',
        {
          type: 'button',
          testid: 'approve',
          disabled: true,
          onclick: () => decide(head.id, 'once'),
        },
        'Allow once',
      ),
      h(
        'button',
        {
          type: 'button',
          testid: 'approve-always',
          disabled: true,
          onclick: () => decide(head.id, 'always'),
        },
        'Always allow',
      ),
      h(
        'button',
        { type: 'button', testid: 'deny', disabled: true, onclick: () => decide(head.id, 'deny') },
        'Deny',
      ),
    ];
    root.replaceChildren(
      h('h1', {}, 'Allow this site to use a secret?'),
      h(
        'dl',
        { class: 'prompt' },
        h('dt', {}, 'Site'),
        h('dd', { testid: 'approval-origin' }, head.origin),
        h('dt', {}, (head.secrets?.length ?? 1) > 1 ? 'Secrets (all of them)' : 'Secret'),
        h(
          'dd',
          { testid: 'approval-secret' },
          ...(head.secrets ?? [head.secretName]).map((name) =>
            h('div', { testid: 'approval-secret-name' }, name),
          ),
        ),
        h('dt', {}, 'Sends to'),
        h('dd', { testid: 'approval-host' }, `${head.method} ${head.host}`),
      ),
      h(
        'p',
        { class: 'muted' },
        'The site never sees the secret; the relay puts it in place for this destination only.',
      ),
      ...buttons,
      view.prompts.length > 1
        ? h(
            'p',
            { class: 'muted', testid: 'approval-queue' },
            `${view.prompts.length - 1} more waiting`,
          )
        : '',
    );
    // A new prompt: arm after the background's delay, so a click meant for something else does not land here.
    if (head.id !== shownId) {
      shownId = head.id;
      clearTimeout(armTimer);
      armTimer = setTimeout(() => {
        for (const b of buttons) b.disabled = false;
        buttons[2]?.focus();
      }, view.armInMs + 50);
    } else if (view.armInMs === 0) {
      for (const b of buttons) b.disabled = false;
    }
  }

  port.onMessage.addListener((msg: unknown) => {
    const m = msg as Partial<BackgroundToApproval>;
    if (!m.view) return;
    const previousHead = view.prompts[0]?.id;
    view = m.view;
    if (view.prompts[0]?.id !== previousHead) shownId = '';
    render();
  });
  render();
}
