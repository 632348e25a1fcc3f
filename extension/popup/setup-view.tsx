// First run: create an account on a relay (master password typed twice, told plainly that it
// cannot be recovered) or log in to an existing one. Nothing typed is cleared by a failure.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Field, invalidProps, Notice, Progress } from '../ui/parts.js';
import type { Problem } from '../ui/explain.js';
import type { UiState } from '../ui/protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';

export const MIN_PASSWORD = 8;

export function SetupView(props: { state: UiState; onState(s: UiState): void }): JSX.Element {
  const [mode, setMode] = useState<'signup' | 'login'>('signup');
  const [relayUrl, setRelayUrl] = useState(props.state.relayUrl);
  const [email, setEmail] = useState(props.state.email);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const act = useAction(relayUrl);
  const formRef = useRef<HTMLFormElement>(null);
  const problem = act.problem;

  useLayoutEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>(email ? '#password' : '#email')?.focus();
  }, []);
  useLayoutEffect(() => {
    if (problem?.field) formRef.current?.querySelector<HTMLElement>(`#${problem.field}`)?.focus();
  }, [problem]);

  const check = (which: 'signup' | 'login'): Problem | null => {
    const bad = (field: string, text: string): Problem => ({
      code: 'INVALID_REQUEST',
      field,
      text,
    });
    let url: URL | undefined;
    try {
      url = new URL(relayUrl.trim());
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      return bad(
        'relay',
        'The relay URL starts with https:// (or http:// on this machine), e.g. http://localhost:8787.',
      );
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) return bad('email', 'Type your email address.');
    if (!password) return bad('password', 'Type your master password.');
    if (which === 'signup') {
      if (password.length < MIN_PASSWORD)
        return bad(
          'password',
          `A master password has at least ${MIN_PASSWORD} characters; a few random words are best.`,
        );
      if (confirm !== password)
        return bad(
          'confirm',
          confirm
            ? 'The two passwords differ. Type the same one twice.'
            : 'Type the master password again to confirm it.',
        );
    }
    return null;
  };

  const go = (which: 'signup' | 'login') => {
    const p = check(which);
    if (p) {
      act.setProblem(p);
      return;
    }
    void act.run(
      which === 'signup'
        ? 'Creating your account… deriving keys from your master password takes a few seconds.'
        : 'Logging in… deriving keys from your master password takes a few seconds.',
      async () => {
        const s = await send(which, { relayUrl: relayUrl.trim(), email: email.trim(), password });
        props.onState(s);
      },
      which,
    );
  };

  return (
    <form
      ref={formRef}
      novalidate
      data-testid={mode === 'signup' ? 'signup-form' : 'login-form'}
      onSubmit={(e) => {
        e.preventDefault();
        go(mode);
      }}
    >
      <header class="brand">
        <Icon name="keyhole" size={22} />
        <h1>Keyhole</h1>
      </header>
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'signup'}
          data-testid="mode-signup"
          onClick={() => (setMode('signup'), act.setProblem(null))}
        >
          Create account
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'login'}
          data-testid="mode-login"
          onClick={() => (setMode('login'), act.setProblem(null))}
        >
          Log in
        </button>
      </div>
      <Field id="relay" label="Relay URL" problem={problem}>
        <input
          {...invalidProps('relay', problem)}
          type="url"
          data-testid="relay-url"
          value={relayUrl}
          onInput={(e) => setRelayUrl(e.currentTarget.value)}
        />
      </Field>
      <Field id="email" label="Email" problem={problem}>
        <input
          {...invalidProps('email', problem)}
          type="email"
          data-testid="email"
          autocomplete="username"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </Field>
      <Field id="password" label="Master password" problem={problem}>
        <input
          {...invalidProps('password', problem)}
          type="password"
          data-testid="master-password"
          autocomplete={mode === 'signup' ? 'new-password' : 'current-password'}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      {mode === 'signup' ? (
        <>
          <Field id="confirm" label="Master password again" problem={problem}>
            <input
              {...invalidProps('confirm', problem)}
              type="password"
              data-testid="master-password-confirm"
              autocomplete="new-password"
              value={confirm}
              onInput={(e) => setConfirm(e.currentTarget.value)}
            />
          </Field>
          <Notice kind="warn" icon="alert" testid="no-recovery">
            <b>No one can recover this password</b> — not Keyhole, not the relay. Forget it and the
            secrets in this vault are gone. Write it down somewhere safe.
          </Notice>
        </>
      ) : null}
      <ErrorBox problem={problem} />
      <Progress text={act.progress} />
      <div class="actions">
        {mode === 'signup' ? (
          <Button type="submit" variant="primary" testid="signup" icon="key" disabled={act.busy}>
            Create account
          </Button>
        ) : (
          <Button type="submit" variant="primary" testid="login" icon="unlock" disabled={act.busy}>
            Log in
          </Button>
        )}
      </div>
    </form>
  );
}
