// The popup's root: loads the background's state once, then shows set-up, the lock screen or the
// vault. Each view keeps its own form state, so a failed action never loses what was typed.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox } from '../ui/parts.js';
import type { Problem } from '../ui/explain.js';
import { explain } from '../ui/explain.js';
import type { UiState } from '../ui/protocol.js';
import { send } from '../ui/send.js';
import { LockedView } from './locked-view.js';
import { MainView } from './main-view.js';
import { SetupView } from './setup-view.js';

export function App(props: { root: HTMLElement }): JSX.Element {
  const [state, setState] = useState<UiState | undefined>();
  const [failed, setFailed] = useState<Problem | null>(null);
  const [welcome, setWelcome] = useState(false);

  useEffect(() => {
    send('state', {}).then(setState, (err: unknown) => setFailed(explain(err)));
  }, []);

  const view = !state
    ? 'loading'
    : !state.hasAccount
      ? 'setup'
      : !state.unlocked
        ? 'locked'
        : 'main';
  useEffect(() => {
    const root = props.root;
    root.dataset.view = view;
    if (state && root.dataset.ready !== '1') {
      root.dataset.ready = '1';
      root.dataset.readyMs = String(Math.round(performance.now()));
    }
  }, [view, state]);

  if (failed) return <ErrorBox problem={failed} />;
  if (!state) return <p class="muted">Opening…</p>;
  if (!state.hasAccount)
    return (
      <SetupView
        state={state}
        onState={(s) => {
          setWelcome(s.unlocked);
          setState(s);
        }}
      />
    );
  if (!state.unlocked) return <LockedView state={state} onState={setState} />;
  return (
    <MainView
      state={state}
      onState={setState}
      welcome={welcome}
      onWelcomeSeen={() => setWelcome(false)}
    />
  );
}
