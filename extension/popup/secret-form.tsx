// Add or edit a secret: one form per type, the vault it goes to named, hosts and sites checked as
// the relay will check them. What was typed stays after any failure; the bad field is marked.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SecretSummary } from '../background/vault-service.js';
import { Button, ErrorBox, Field, invalidProps, ListField, Notice, Progress } from '../ui/parts.js';
import type { TeamVaultView } from '../ui/team-protocol.js';
import { send } from '../ui/send.js';
import type { UiState } from '../ui/protocol.js';
import { useAction } from '../ui/use-action.js';
import { privateHosts } from './private-host.js';
import {
  checkDraft,
  draftFrom,
  EDITABLE_TYPES,
  emptyDraft,
  splitList,
  TYPE_LABELS,
} from './secret-draft.js';
import type { EditableType, OAuthDraft, SecretDraft } from './secret-draft.js';
import { Icon } from '../ui/icons.js';
import { isSigningDraftType, type SigningDraft } from './signing-draft.js';
import { SigningFields } from './signing-fields.js';

export function SecretForm(props: {
  existing?: SecretSummary;
  /** writable vaults, in display order */
  vaults: TeamVaultView[];
  defaultVaultId: string;
  relayUrl: string;
  onSaved(state: UiState): void;
  onCancel(): void;
}): JSX.Element {
  const { existing } = props;
  const [draft, setDraft] = useState<SecretDraft>(() =>
    existing ? draftFrom(existing) : emptyDraft(props.defaultVaultId),
  );
  const [shown, setShown] = useState(false);
  const act = useAction(props.relayUrl);
  const formRef = useRef<HTMLFormElement>(null);
  const set = <K extends keyof SecretDraft>(k: K, v: SecretDraft[K]) =>
    setDraft((d) => ({ ...d, [k]: v }));
  const setOAuth = <K extends keyof OAuthDraft>(k: K, v: OAuthDraft[K]) =>
    setDraft((d) => ({ ...d, oauth: { ...d.oauth, [k]: v } }));
  const setSigning = <K extends keyof SigningDraft>(k: K, v: SigningDraft[K]) =>
    setDraft((d) => ({ ...d, signing: { ...d.signing, [k]: v } }));
  const problem = act.problem;

  // Focus moves in layout effects (before paint), never later under what the user is typing.
  useLayoutEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>('#name')?.focus();
  }, []);
  // Point at the field a problem is about.
  useLayoutEffect(() => {
    if (problem?.field) formRef.current?.querySelector<HTMLElement>(`#${problem.field}`)?.focus();
  }, [problem]);

  const privateList = privateHosts(splitList(draft.hosts));
  const vaultName =
    props.vaults.find((v) => v.id === (existing?.vaultId ?? draft.vaultId))?.name ??
    existing?.vaultName ??
    'Personal';

  const submit = (e: Event) => {
    e.preventDefault();
    const checked = checkDraft(draft, Boolean(existing));
    if (!checked.ok) {
      act.setProblem(checked.problem);
      return;
    }
    void act.run(
      `Saving ${checked.secret.name} to ${vaultName}…`,
      async () => {
        const state = await send('save', {
          secret: checked.secret,
          ...(existing
            ? { vaultId: existing.vaultId, itemId: existing.itemId }
            : { vaultId: draft.vaultId }),
        });
        props.onSaved(state);
      },
      'save',
    );
  };

  const secretInput = (id: string, testid: string, value: string, on: (v: string) => void) => (
    <div class="with-toggle">
      <input
        {...invalidProps(id, problem)}
        type={shown ? 'text' : 'password'}
        data-testid={testid}
        autocomplete="off"
        spellcheck={false}
        value={value}
        placeholder={existing ? '(unchanged)' : ''}
        onInput={(e) => on(e.currentTarget.value)}
      />
      <button
        type="button"
        class="btn ghost icon-only"
        aria-label={shown ? 'Hide' : 'Show'}
        onClick={() => setShown(!shown)}
      >
        <Icon name={shown ? 'eyeOff' : 'eye'} />
      </button>
    </div>
  );

  return (
    <form ref={formRef} onSubmit={submit} novalidate data-testid="secret-form">
      <div class="title-row">
        <Button variant="ghost" icon="arrowLeft" aria-label="Back" onClick={props.onCancel} />
        <h1>{existing ? `Edit ${existing.name}` : 'Add a secret'}</h1>
      </div>
      {existing || props.vaults.length <= 1 ? (
        <p class="vault-line" data-testid="secret-vault-name">
          <Icon name={vaultName === 'Personal' ? 'key' : 'users'} /> Saves to <b>{vaultName}</b>
        </p>
      ) : (
        <Field id="vault" label="Saves to vault" problem={problem}>
          <select
            {...invalidProps('vault', problem)}
            data-testid="secret-vault"
            value={draft.vaultId}
            onChange={(e) => set('vaultId', e.currentTarget.value)}
          >
            {props.vaults.map((v) => (
              <option value={v.id} key={v.id}>
                {v.kind === 'personal' ? 'Personal' : `${v.name} (team)`}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field id="name" label="Name" hint="Pages ask for it as clientSecretName." problem={problem}>
        <input
          {...invalidProps('name', problem)}
          data-testid="secret-name"
          autocomplete="off"
          spellcheck={false}
          value={draft.name}
          placeholder="openai"
          onInput={(e) => set('name', e.currentTarget.value)}
        />
      </Field>
      <Field id="type" label="Type" problem={problem}>
        <select
          {...invalidProps('type', problem)}
          data-testid="secret-type"
          value={draft.type}
          onChange={(e) => set('type', e.currentTarget.value as EditableType)}
        >
          {EDITABLE_TYPES.map((t) => (
            <option value={t} key={t}>
              {TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      </Field>

      {draft.type === 'plain' || draft.type === 'bearer' ? (
        <Field
          id="value"
          label={draft.type === 'bearer' ? 'Token' : 'Value'}
          hint={
            draft.type === 'bearer'
              ? 'Pages write Authorization: Bearer $CLIENT_SECRET; the relay puts it in.'
              : 'Put in place of $CLIENT_SECRET wherever the secret may go.'
          }
          problem={problem}
        >
          {secretInput('value', 'secret-value', draft.value, (v) => set('value', v))}
        </Field>
      ) : null}

      {draft.type === 'basic' ? (
        <>
          <Field id="username" label="User name" problem={problem}>
            <input
              {...invalidProps('username', problem)}
              data-testid="secret-username"
              autocomplete="off"
              value={draft.username}
              placeholder={existing ? '(unchanged)' : ''}
              onInput={(e) => set('username', e.currentTarget.value)}
            />
          </Field>
          <Field id="password" label="Password" problem={problem}>
            {secretInput('password', 'secret-password', draft.password, (v) => set('password', v))}
          </Field>
        </>
      ) : null}

      {draft.type === 'template' ? (
        <Field
          id="fields"
          label="Fields"
          hint={
            <>
              One <code>key=value</code> per line; pages use <code>$(secret:NAME.key)</code>.
            </>
          }
          problem={problem}
        >
          <textarea
            {...invalidProps('fields', problem)}
            class={shown ? 'mono' : 'mono masked'}
            data-testid="secret-fields"
            rows={4}
            spellcheck={false}
            autocomplete="off"
            value={draft.fields}
            placeholder={existing ? '(unchanged)' : 'account=AC123\ntoken=…'}
            onInput={(e) => set('fields', e.currentTarget.value)}
          />
          <button type="button" class="btn ghost small" onClick={() => setShown(!shown)}>
            <Icon name={shown ? 'eyeOff' : 'eye'} /> {shown ? 'Hide values' : 'Show values'}
          </button>
        </Field>
      ) : null}

      {draft.type === 'oauth' ? (
        <fieldset class="group" data-testid="oauth-form">
          <legend>OAuth client (the relay fetches and caches the access token)</legend>
          <Field id="oauth-grant" label="Grant" problem={problem}>
            <select
              {...invalidProps('oauth-grant', problem)}
              data-testid="oauth-grant"
              value={draft.oauth.grant}
              onChange={(e) => setOAuth('grant', e.currentTarget.value as OAuthDraft['grant'])}
            >
              <option value="client_credentials">client_credentials</option>
              <option value="refresh_token">refresh_token</option>
            </select>
          </Field>
          <Field id="oauth-token-url" label="Token URL" problem={problem}>
            <input
              {...invalidProps('oauth-token-url', problem)}
              data-testid="oauth-token-url"
              type="url"
              value={draft.oauth.tokenUrl}
              placeholder={existing ? '(unchanged)' : 'https://auth.example.com/oauth/token'}
              onInput={(e) => setOAuth('tokenUrl', e.currentTarget.value)}
            />
          </Field>
          <Field id="oauth-client-id" label="Client id" problem={problem}>
            <input
              {...invalidProps('oauth-client-id', problem)}
              data-testid="oauth-client-id"
              autocomplete="off"
              value={draft.oauth.clientId}
              onInput={(e) => setOAuth('clientId', e.currentTarget.value)}
            />
          </Field>
          <Field id="oauth-client-secret" label="Client secret" problem={problem}>
            {secretInput(
              'oauth-client-secret',
              'oauth-client-secret',
              draft.oauth.clientSecret,
              (v) => setOAuth('clientSecret', v),
            )}
          </Field>
          {draft.oauth.grant === 'refresh_token' ? (
            <Field id="oauth-refresh-token" label="Refresh token" problem={problem}>
              {secretInput(
                'oauth-refresh-token',
                'oauth-refresh-token',
                draft.oauth.refreshToken,
                (v) => setOAuth('refreshToken', v),
              )}
            </Field>
          ) : null}
          <Field id="oauth-scope" label="Scope (optional)" problem={problem}>
            <input
              {...invalidProps('oauth-scope', problem)}
              data-testid="oauth-scope"
              value={draft.oauth.scope}
              onInput={(e) => setOAuth('scope', e.currentTarget.value)}
            />
          </Field>
        </fieldset>
      ) : null}

      {isSigningDraftType(draft.type) ? (
        <SigningFields
          type={draft.type}
          draft={draft.signing}
          set={setSigning}
          problem={problem}
          secretInput={secretInput}
          editing={Boolean(existing)}
        />
      ) : null}

      <ListField
        id="hosts"
        label="Allowed hosts"
        hint="One per line: api.example.com, host:port, *.example.com, or http(s)://host/path. No scheme means https only."
        problem={problem}
        testid="secret-hosts"
        value={draft.hosts}
        placeholder="api.example.com"
        onInput={(v) => set('hosts', v)}
      />
      {privateList.length ? (
        <Notice kind="warn" icon="alert" testid="private-host-hint">
          {privateList.join(', ')} {privateList.length > 1 ? 'are' : 'is'} on this machine or a
          private network. The relay refuses private addresses; start it with{' '}
          <code>KEYHOLE_ALLOW_PRIVATE={privateList.join(',')}</code>.
        </Notice>
      ) : null}
      <ListField
        id="origins"
        label="Sites allowed without asking"
        hint="Origins such as https://app.example.com, one per line. Other sites are asked in a window."
        problem={problem}
        testid="secret-origins"
        value={draft.origins}
        placeholder="https://app.example.com"
        onInput={(v) => set('origins', v)}
      />
      <ListField
        id="placement"
        label="May be placed in"
        hint="One per line: header:Authorization, header:X-Api-Key, query:key, body:auth.token (a JSON or form field) or url. Blank: Authorization for bearer, basic and OAuth; a plain or template secret must say."
        problem={problem}
        testid="secret-placement"
        value={draft.placement}
        placeholder="header:Authorization"
        onInput={(v) => set('placement', v)}
      />
      <Field id="description" label="Note (optional)" problem={problem}>
        <input
          {...invalidProps('description', problem)}
          data-testid="secret-description"
          value={draft.description}
          onInput={(e) => set('description', e.currentTarget.value)}
        />
      </Field>
      <ErrorBox problem={problem} />
      <Progress text={act.progress} />
      <div class="actions">
        <Button
          type="submit"
          variant="primary"
          icon="check"
          testid="save-secret"
          disabled={act.busy}
        >
          {existing ? 'Save changes' : `Save to ${vaultName}`}
        </Button>
        <Button testid="cancel" variant="ghost" onClick={props.onCancel} disabled={act.busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
