// The approval window: the head of the queue (which site, which secret, where it goes) with Allow
// once / Always allow / Deny. Buttons arm only after a short delay (no click-through). Closing the
// window means "not now": the call is refused, nothing is remembered.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import type { ApprovalView, Decision } from '../background/approvals.js';
import { APPROVAL_PORT_NAME } from '../bridge/messages.js';
import { Icon } from '../ui/icons.js';
import { Button } from '../ui/parts.js';
import type { ApprovalToBackground, BackgroundToApproval } from '../ui/protocol.js';

export function ApprovalApp(): JSX.Element {
  const [port, setPort] = useState<ReturnType<typeof browser.runtime.connect> | undefined>();
  const [view, setView] = useState<ApprovalView>({ prompts: [], armInMs: 500 });
  const [armedFor, setArmedFor] = useState('');
  const head = view.prompts[0];

  // Connect and listen in one step: the background posts the queue as soon as the port opens.
  useEffect(() => {
    const p = browser.runtime.connect({ name: APPROVAL_PORT_NAME });
    p.onMessage.addListener((msg: unknown) => {
      const m = msg as Partial<BackgroundToApproval>;
      if (m.view) setView(m.view);
    });
    setPort(p);
    return () => p.disconnect();
  }, []);

  // A new prompt arms after the background's delay, so a click meant for something else does not land here.
  useEffect(() => {
    if (!head) return;
    if (view.armInMs === 0) {
      setArmedFor(head.id);
      return;
    }
    const timer = setTimeout(() => setArmedFor(head.id), view.armInMs + 50);
    return () => clearTimeout(timer);
  }, [head?.id]);

  useEffect(() => {
    if (armedFor && armedFor === head?.id)
      document.querySelector<HTMLButtonElement>('[data-testid="deny"]')?.focus();
  }, [armedFor]);

  const decide = (decision: Decision) => {
    if (head && port)
      port.postMessage({ decide: head.id, decision } satisfies ApprovalToBackground);
  };

  if (!head) return <p class="muted">No requests waiting.</p>;
  const armed = armedFor === head.id;
  return (
    <div>
      <header class="brand">
        <Icon name="shield" size={22} />
        <h1>Allow this site to use a secret?</h1>
      </header>
      <dl class="prompt">
        <dt>
          <Icon name="globe" size={14} /> Site
        </dt>
        <dd class="origin" data-testid="approval-origin">
          {head.origin}
        </dd>
        {head.topOrigin ? (
          <>
            <dt>
              <Icon name="globe" size={14} /> Inside page
            </dt>
            <dd class="origin" data-testid="approval-top-origin">
              {head.topOrigin}
            </dd>
          </>
        ) : null}
        <dt>
          <Icon name="key" size={14} />{' '}
          {(head.secrets?.length ?? 1) > 1 ? 'Secrets (all)' : 'Secret'}
        </dt>
        <dd data-testid="approval-secret">
          {(head.secrets ?? [head.secretName]).map((name) => (
            <div key={name} data-testid="approval-secret-name">
              {name}
            </div>
          ))}
        </dd>
        <dt>
          <Icon name="send" size={14} /> Sends to
        </dt>
        <dd data-testid="approval-host">{`${head.method} ${head.host}`}</dd>
      </dl>
      <p class="muted">
        The site never sees the secret; the relay puts it in place for this destination only.
        Closing this window answers “not now”.
      </p>
      <div class="actions">
        <Button variant="primary" testid="approve" disabled={!armed} onClick={() => decide('once')}>
          Allow once
        </Button>
        <Button testid="approve-always" disabled={!armed} onClick={() => decide('always')}>
          Always allow
        </Button>
        <Button variant="danger" testid="deny" disabled={!armed} onClick={() => decide('deny')}>
          Deny
        </Button>
      </div>
      {view.prompts.length > 1 ? (
        <p class="muted" data-testid="approval-queue">
          {view.prompts.length - 1} more waiting
        </p>
      ) : null}
    </div>
  );
}
