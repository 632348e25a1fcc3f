// The lock screen: whose vault, why it locked, and the master password to open it again.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Field, invalidProps, Progress } from '../ui/parts.js';
import type { LockReason, UiState } from '../ui/protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';

export function lockReasonText(lock: LockReason | undefined): string {
  const at = lock?.at ? ` at ${new Date(lock.at).toLocaleTimeString()}` : '';
  switch (lock?.reason) {
    case 'idle':
      return `Locked after ${lock.idleMinutes ?? 'some'} minutes without use${at}.`;
    case 'user':
      return `You locked it${at}.`;
    default:
      return 'Locked because the browser (or Keyhole) restarted: the keys are kept only in memory.';
  }
}

export function LockedView(props: { state: UiState; onState(s: UiState): void }): JSX.Element {
  const { state } = props;
  const [password, setPassword] = useState('');
  const act = useAction(state.relayUrl);
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => input.current?.focus(), [act.problem]);

  return (
    <form
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!password) {
          act.setProblem({
            code: 'INVALID_REQUEST',
            field: 'password',
            text: 'Type your master password.',
          });
          return;
        }
        void act.run(
          'Unlocking… deriving your key takes a moment.',
          async () => props.onState(await send('unlock', { password })),
          'unlock',
        );
      }}
    >
      <header class="brand">
        <Icon name="lock" size={22} />
        <h1>Keyhole is locked</h1>
      </header>
      <p class="muted" data-testid="lock-reason">
        <Icon name="clock" size={14} /> {lockReasonText(state.lock)}
      </p>
      <p class="muted">
        {state.email} on {state.relayUrl}
      </p>
      <Field id="password" label="Master password" problem={act.problem}>
        <input
          {...invalidProps('password', act.problem)}
          ref={input}
          type="password"
          data-testid="master-password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <ErrorBox problem={act.problem} />
      <Progress text={act.progress} />
      <div class="actions">
        <Button type="submit" variant="primary" icon="unlock" testid="unlock" disabled={act.busy}>
          Unlock
        </Button>
        <Button
          variant="ghost"
          testid="logout"
          disabled={act.busy}
          onClick={() =>
            void act.run('Logging out…', async () => props.onState(await send('logout', {})))
          }
        >
          Use another account
        </Button>
      </div>
    </form>
  );
}
