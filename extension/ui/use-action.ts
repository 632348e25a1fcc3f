// One action at a time per form: clears the old error when it starts, shows progress text once it
// has taken ~300 ms, and turns a failure into a Problem — never touching what the user typed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { explain } from './explain.js';
import type { Action, Problem } from './explain.js';

export const PROGRESS_AFTER_MS = 300;

export interface ActionState {
  /** true while an action runs (buttons disabled) */
  busy: boolean;
  /** the running action's progress text, once it has taken long enough to need one */
  progress: string | null;
  problem: Problem | null;
  setProblem(p: Problem | null): void;
  /** runs `fn`; resolves with its value, or undefined after a failure (then `problem` is set) */
  run<T>(progress: string, fn: () => Promise<T>, action?: Action): Promise<T | undefined>;
}

export function useAction(relayUrl = ''): ActionState {
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const running = useRef(false);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const run = useCallback(
    async <T>(label: string, fn: () => Promise<T>, action: Action = 'other') => {
      if (running.current) return undefined;
      running.current = true;
      setBusy(true);
      setProblem(null);
      const timer = setTimeout(() => alive.current && setProgress(label), PROGRESS_AFTER_MS);
      try {
        return await fn();
      } catch (err) {
        if (alive.current) setProblem(explain(err, action, relayUrl));
        return undefined;
      } finally {
        clearTimeout(timer);
        running.current = false;
        if (alive.current) {
          setBusy(false);
          setProgress(null);
        }
      }
    },
    [relayUrl],
  );
  return { busy, progress, problem, setProblem, run };
}
