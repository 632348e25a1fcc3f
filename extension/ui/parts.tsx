// Small building blocks shared by the popup and the approval window: a labelled field with its own
// error line, the error box, progress text and icon buttons.
import type { ComponentChildren, JSX } from 'preact';
import type { Problem } from './explain.js';
import { Icon } from './icons.js';
import type { IconName } from './icons.js';

export function Field(props: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  /** the problem, when it is about this field */
  problem?: Problem | null;
  children: ComponentChildren;
}): JSX.Element {
  const mine = props.problem?.field === props.id ? props.problem : null;
  return (
    <div class={mine ? 'field invalid' : 'field'}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !mine ? <p class="hint">{props.hint}</p> : null}
      {mine ? (
        <p
          class="field-error"
          data-testid="field-error"
          data-field={props.id}
          id={`${props.id}-error`}
        >
          <Icon name="alert" size={14} /> {mine.text}
        </p>
      ) : null}
    </div>
  );
}

/** A list typed one entry per line (hosts, origins, placements): a Field around a mono textarea. */
export function ListField(props: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  problem?: Problem | null;
  testid: string;
  value: string;
  placeholder: string;
  onInput: (value: string) => void;
}): JSX.Element {
  return (
    <Field id={props.id} label={props.label} hint={props.hint} problem={props.problem}>
      <textarea
        {...invalidProps(props.id, props.problem)}
        class="mono"
        data-testid={props.testid}
        rows={2}
        spellcheck={false}
        value={props.value}
        placeholder={props.placeholder}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </Field>
  );
}

/** aria props for an input whose field may hold the current problem */
export function invalidProps(id: string, problem: Problem | null | undefined) {
  const bad = problem?.field === id;
  return {
    id,
    'aria-invalid': bad ? ('true' as const) : undefined,
    'aria-describedby': bad ? `${id}-error` : undefined,
  };
}

export function ErrorBox({
  problem,
  testid = 'error',
}: {
  problem: Problem | null;
  testid?: string;
}): JSX.Element | null {
  // A problem about one field is shown under that field (which gets the focus), not twice.
  if (!problem || problem.field) return null;
  return (
    <div class="notice error" role="alert" data-testid={testid} data-code={problem.code}>
      <Icon name="alert" />
      <span>{problem.text}</span>
    </div>
  );
}

export function Notice({
  kind = 'info',
  icon,
  testid,
  children,
}: {
  kind?: 'info' | 'warn' | 'ok';
  icon?: IconName;
  testid?: string;
  children: ComponentChildren;
}): JSX.Element {
  return (
    <div class={`notice ${kind}`} data-testid={testid}>
      {icon ? <Icon name={icon} /> : null}
      <span>{children}</span>
    </div>
  );
}

export function Progress({ text }: { text: string | null }): JSX.Element | null {
  if (!text) return null;
  return (
    <p class="progress" role="status" data-testid="progress">
      <span class="spinner" aria-hidden="true" />
      {text}
    </p>
  );
}

export function Button(
  props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & {
    icon?: IconName;
    testid?: string;
    variant?: 'primary' | 'secondary' | 'ghost' | 'danger';
  },
): JSX.Element {
  const { icon, testid, variant = 'secondary', children, type = 'button', ...rest } = props;
  return (
    <button {...rest} type={type} class={`btn ${variant}`} data-testid={testid}>
      {icon ? <Icon name={icon} /> : null}
      {children}
    </button>
  );
}
