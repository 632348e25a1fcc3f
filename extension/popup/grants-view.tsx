// One secret's grants (docs/extension.md "Grants"): the list with every limit and its use count
// (never a token), a form for a new grant with every policy field the CLI has, the token shown
// once with the snippet to paste, and a two-click revoke (dialogs do not work in an action popup).
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SecretSummary } from '../background/vault-service.js';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Field, invalidProps, Notice, Progress } from '../ui/parts.js';
import type { GrantView } from '../ui/grant-protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';
import {
  checkGrantDraft,
  emptyGrantDraft,
  GRANT_METHODS,
  GRANT_STATE_TEXT,
  grantExpiry,
  grantLimits,
  grantProblem,
  grantSnippet,
  type GrantDraft,
} from './grant-draft.js';

export function GrantsView(props: {
  secret: SecretSummary;
  /** the user's role in the secret's vault (role "user" may not publish a secret) */
  role: string | undefined;
  relayUrl: string;
  onBack(): void;
}): JSX.Element {
  const s = props.secret;
  const act = useAction(props.relayUrl);
  const [grants, setGrants] = useState<GrantView[] | undefined>();
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<{ token: string; grant: GrantView } | null>(null);
  const [confirming, setConfirming] = useState('');
  const mayCreate = props.role !== 'user';

  const load = async () =>
    setGrants(await send('grant-list', { vaultId: s.vaultId, itemId: s.itemId }));
  useEffect(() => {
    void act.run('Loading grants…', load, 'grant');
  }, [s.vaultId, s.itemId]);

  const revoke = (g: GrantView) => {
    if (confirming !== g.id) {
      setConfirming(g.id);
      return;
    }
    setConfirming('');
    void act.run(
      `Revoking grant ${g.id}…`,
      async () => {
        await send('grant-revoke', { id: g.id });
        await load();
      },
      'grant',
    );
  };

  return (
    <div data-testid="grants-view" data-name={s.name}>
      <div class="title-row">
        <Button
          variant="ghost"
          icon="arrowLeft"
          testid="grants-back"
          aria-label="Back"
          onClick={props.onBack}
        />
        <h1>Grants for {s.name}</h1>
      </div>
      <p class="muted small">
        A grant lets every visitor of your site use <b>{s.name}</b> through the relay — no extension
        on their side, no backend on yours — within the limits you set here. The relay enforces
        them; the page never sees the secret.
      </p>

      {made ? (
        <CreatedToken
          token={made.token}
          grant={made.grant}
          secretName={s.name}
          relayUrl={props.relayUrl}
          onDone={() => setMade(null)}
        />
      ) : null}

      <ErrorBox problem={act.problem} testid="grant-error" />
      <Progress text={act.progress} />

      <section>
        <div class="section-head">
          <h2>
            <Icon name="globe" /> Grants
          </h2>
          <Button
            variant="ghost"
            icon="sync"
            testid="grant-refresh"
            disabled={act.busy}
            onClick={() => void act.run('Loading grants…', load, 'grant')}
          >
            Refresh
          </Button>
        </div>
        {grants === undefined ? (
          <p class="muted">Loading grants…</p>
        ) : grants.length === 0 ? (
          <p class="empty" data-testid="no-grants">
            No grants for {s.name} yet.
          </p>
        ) : (
          grants.map((g) => (
            <GrantRow
              key={g.id}
              grant={g}
              busy={act.busy}
              confirming={confirming === g.id}
              onRevoke={() => revoke(g)}
              onBlur={() => setConfirming('')}
            />
          ))
        )}
      </section>

      {!mayCreate ? (
        <Notice kind="warn" testid="grant-user-role">
          Your team role (user) may use this secret but not publish it to a site. An owner or admin
          makes grants.
        </Notice>
      ) : creating ? (
        <GrantForm
          secret={s}
          relayUrl={props.relayUrl}
          onCancel={() => setCreating(false)}
          onCreated={async (res) => {
            setMade(res);
            setCreating(false);
            await load().catch(() => undefined);
          }}
        />
      ) : (
        <Button variant="primary" icon="plus" testid="grant-new" onClick={() => setCreating(true)}>
          New grant
        </Button>
      )}
    </div>
  );
}

function GrantRow(props: {
  grant: GrantView;
  busy: boolean;
  confirming: boolean;
  onRevoke(): void;
  onBlur(): void;
}): JSX.Element {
  const g = props.grant;
  const open = g.state === 'live' || g.state === 'expired';
  return (
    <div class="row" data-testid="grant-row" data-id={g.id} data-state={g.state}>
      <div class="row-head">
        <Icon name="globe" />
        <code class="name mono" data-testid="grant-id">
          {g.id}
        </code>
        <span class="tag" data-testid="grant-state">
          {GRANT_STATE_TEXT[g.state] ?? g.state}
        </span>
      </div>
      {g.readable ? (
        <>
          <p class="meta" title="Sites whose visitors may use it" data-testid="grant-row-origins">
            <Icon name="shield" size={13} /> {g.origins.join(', ')}
          </p>
          <p class="meta" title="Limits the relay enforces" data-testid="grant-row-limits">
            <Icon name="send" size={13} /> {grantLimits(g).join(' · ')}
          </p>
          <p class="meta" data-testid="grant-row-expiry">
            <Icon name="clock" size={13} /> {grantExpiry(g)}
            {g.maxBodyBytes !== null ? ` · bodies up to ${g.maxBodyBytes} bytes` : ''}
          </p>
          {g.locked ? (
            <p class="meta" data-testid="grant-row-locked">
              <Icon name="lock" size={13} /> Signed-in visitors only: {g.locked.issuer} (aud{' '}
              {g.locked.audience}), keys from {g.locked.jwksUrl}
            </p>
          ) : null}
        </>
      ) : (
        <p class="warn small">
          Its limits are sealed under an older team key this account cannot open.
        </p>
      )}
      <div class="value-line">
        <p class="meta" data-testid="grant-uses" data-uses={g.uses}>
          {g.uses === 1 ? '1 use' : `${g.uses} uses`}
        </p>
        {open && g.mayRevoke ? (
          <div class="row-actions">
            <Button
              variant={props.confirming ? 'danger' : 'ghost'}
              icon="trash"
              testid="grant-revoke"
              aria-label={
                props.confirming ? `Really revoke grant ${g.id}?` : `Revoke grant ${g.id}`
              }
              disabled={props.busy}
              onBlur={props.onBlur}
              onClick={props.onRevoke}
            >
              {props.confirming ? 'Really revoke? Pages stop at once' : 'Revoke'}
            </Button>
          </div>
        ) : null}
      </div>
    </div>
  );
}

function CreatedToken(props: {
  token: string;
  grant: GrantView;
  secretName: string;
  relayUrl: string;
  onDone(): void;
}): JSX.Element {
  const snippet = grantSnippet(
    props.relayUrl,
    props.secretName,
    props.token,
    props.grant.locked !== null,
  );
  const [copied, setCopied] = useState<'' | 'token' | 'snippet' | 'blocked'>('');
  const tokenRef = useRef<HTMLElement>(null);
  const copy = async (what: 'token' | 'snippet') => {
    try {
      await navigator.clipboard.writeText(what === 'token' ? props.token : snippet);
      setCopied(what);
    } catch {
      // Clipboard refused (no focus, policy): select the token so Ctrl+C copies it.
      const el = tokenRef.current;
      if (el) {
        const range = document.createRange();
        range.selectNodeContents(el);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
      setCopied('blocked');
    }
  };
  return (
    <div class="notice ok" data-testid="grant-created" data-id={props.grant.id}>
      <Icon name="check" />
      <div>
        <p>
          <b>Grant created.</b> Its token:
        </p>
        <code class="token" data-testid="grant-token" ref={tokenRef}>
          {props.token}
        </code>
        <p data-testid="grant-token-once">
          <b>This is shown once; the relay never stores it.</b> Copy it now: once you leave this
          screen it cannot be shown again (revoke and make a new grant instead). Anyone can read
          your page, so treat the token as public and the limits as the protection.
        </p>
        <div class="actions">
          <Button icon="key" testid="grant-copy" onClick={() => void copy('token')}>
            Copy token
          </Button>
          <Button testid="grant-copy-snippet" onClick={() => void copy('snippet')}>
            Copy snippet
          </Button>
        </div>
        {copied ? (
          <p class="small" data-testid="grant-copied" role="status">
            {copied === 'blocked'
              ? 'The browser blocked the clipboard: the token is selected, press Ctrl+C (⌘C).'
              : `Copied the ${copied}.`}
          </p>
        ) : null}
        <p class="small">Paste into your page:</p>
        <pre class="value token" data-testid="grant-snippet">
          {snippet}
        </pre>
        <Button variant="ghost" testid="grant-token-done" onClick={props.onDone}>
          I have copied it
        </Button>
      </div>
    </div>
  );
}

function GrantForm(props: {
  secret: SecretSummary;
  relayUrl: string;
  onCancel(): void;
  onCreated(res: { token: string; grant: GrantView }): Promise<void>;
}): JSX.Element {
  const s = props.secret;
  const act = useAction(props.relayUrl);
  const [draft, setDraft] = useState<GrantDraft>(emptyGrantDraft);
  const formRef = useRef<HTMLFormElement>(null);
  const set = <K extends keyof GrantDraft>(k: K, v: GrantDraft[K]) =>
    setDraft((d) => ({ ...d, [k]: v }));
  // Background refusals name the shared field ("origins"); the form's ids are grant-*.
  const problem = grantProblem(act.problem);

  useLayoutEffect(() => {
    formRef.current?.querySelector<HTMLElement>('#grant-origins')?.focus();
  }, []);
  useLayoutEffect(() => {
    if (problem?.field) formRef.current?.querySelector<HTMLElement>(`#${problem.field}`)?.focus();
  }, [problem]);

  const submit = (e: Event) => {
    e.preventDefault();
    const checked = checkGrantDraft(draft);
    if (!checked.ok) {
      act.setProblem(checked.problem);
      return;
    }
    void act.run(
      `Making a grant for ${s.name}…`,
      async () => {
        const res = await send('grant-create', {
          vaultId: s.vaultId,
          itemId: s.itemId,
          input: checked.input,
        });
        await props.onCreated(res);
      },
      'grant',
    );
  };

  const text = (
    field: keyof GrantDraft & string,
    id: string,
    label: string,
    hint: string,
    placeholder: string,
    numeric = false,
  ) => (
    <Field id={id} label={label} hint={hint} problem={problem}>
      <input
        {...invalidProps(id, problem)}
        data-testid={id}
        autocomplete="off"
        spellcheck={false}
        {...(numeric ? { inputMode: 'numeric' as const } : {})}
        placeholder={placeholder}
        value={draft[field] as string}
        onInput={(e) => set(field, e.currentTarget.value as never)}
      />
    </Field>
  );

  return (
    <form ref={formRef} onSubmit={submit} novalidate data-testid="grant-form" class="card">
      <h3>New grant for {s.name}</h3>
      <Field
        id="grant-origins"
        label="Sites (origins)"
        hint="One per line, exactly scheme://host[:port], e.g. https://app.example. Only pages there may use it."
        problem={problem}
      >
        <textarea
          {...invalidProps('grant-origins', problem)}
          data-testid="grant-origins"
          spellcheck={false}
          placeholder="https://app.example"
          value={draft.origins}
          onInput={(e) => set('origins', e.currentTarget.value)}
        />
      </Field>
      <fieldset class="group" id="grant-methods" tabIndex={-1}>
        <legend>Methods (none ticked: any)</legend>
        <div class="inline wrap" data-testid="grant-methods">
          {GRANT_METHODS.map((m) => (
            <label class="check" key={m}>
              <input
                type="checkbox"
                data-testid="grant-method"
                data-method={m}
                checked={draft.methods.includes(m)}
                onChange={(e) =>
                  set(
                    'methods',
                    e.currentTarget.checked
                      ? [...draft.methods, m]
                      : draft.methods.filter((x) => x !== m),
                  )
                }
              />{' '}
              {m}
            </label>
          ))}
        </div>
        {problem?.field === 'grant-methods' ? (
          <p class="field-error" data-testid="field-error" data-field="grant-methods">
            <Icon name="alert" size={14} /> {problem.text}
          </p>
        ) : null}
      </fieldset>
      <Field
        id="grant-paths"
        label="Path prefixes (optional)"
        hint="One per line, e.g. /v1/chat/completions. Blank: any path within the secret's allowed hosts."
        problem={problem}
      >
        <textarea
          {...invalidProps('grant-paths', problem)}
          data-testid="grant-paths"
          spellcheck={false}
          placeholder="/v1/chat/completions"
          value={draft.paths}
          onInput={(e) => set('paths', e.currentTarget.value)}
        />
      </Field>
      {text(
        'rate',
        'grant-rate',
        'Requests per minute per visitor',
        "Counted per visitor's IP (or ID token sub when locked). Blank: no limit.",
        '10',
        true,
      )}
      {text(
        'quota',
        'grant-quota',
        'Requests per day, all visitors',
        'Per UTC day, across every relay. Blank: no limit.',
        '1000',
        true,
      )}
      <Field id="grant-expires" label="Ends" problem={problem}>
        <select
          data-testid="grant-ends"
          value={draft.ends}
          onChange={(e) => set('ends', e.currentTarget.value as GrantDraft['ends'])}
        >
          <option value="never">When I revoke it</option>
          <option value="after">After a while (30d, 12h, 15m…)</option>
          <option value="at">At a date and time</option>
        </select>
        {draft.ends === 'after' ? (
          <input
            {...invalidProps('grant-expires', problem)}
            data-testid="grant-expires"
            autocomplete="off"
            placeholder="30d"
            value={draft.duration}
            onInput={(e) => set('duration', e.currentTarget.value)}
          />
        ) : draft.ends === 'at' ? (
          <input
            {...invalidProps('grant-expires', problem)}
            type="datetime-local"
            data-testid="grant-expires-at"
            value={draft.endsAt}
            onInput={(e) => set('endsAt', e.currentTarget.value)}
          />
        ) : null}
      </Field>
      {text(
        'maxBody',
        'grant-max-body',
        'Largest request body (bytes, optional)',
        'Blank: 262144 (256 KiB).',
        '262144',
        true,
      )}
      <Field id="grant-locked" label="Signed-in visitors only" problem={problem}>
        <label class="check">
          <input
            {...invalidProps('grant-locked', problem)}
            type="checkbox"
            data-testid="grant-locked"
            checked={draft.locked}
            onChange={(e) => set('locked', e.currentTarget.checked)}
          />{' '}
          Locked: the page passes the visitor's ID token (a JWT from your login), the relay checks
          it
        </label>
      </Field>
      {draft.locked ? (
        <>
          {text(
            'jwks',
            'grant-jwks',
            'JWKS URL of your identity provider',
            'https://…/.well-known/jwks.json',
            'https://login.example/.well-known/jwks.json',
          )}
          {text(
            'issuer',
            'grant-issuer',
            'Issuer (iss)',
            'Exactly as your ID tokens carry it.',
            'https://login.example',
          )}
          {text(
            'audience',
            'grant-audience',
            'Audience (aud)',
            'Usually your OAuth client id.',
            'my-client-id',
          )}
        </>
      ) : null}
      <ErrorBox problem={problem} testid="grant-error" />
      <Progress text={act.progress} />
      <div class="actions">
        <Button type="submit" variant="primary" testid="grant-create" disabled={act.busy}>
          Create grant
        </Button>
        <Button variant="ghost" testid="grant-cancel" onClick={props.onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
