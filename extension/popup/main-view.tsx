// The unlocked popup: sync state, the vault menu, the secrets, site permissions, teams, account.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SecretSummary, SyncStatus } from '../background/vault-service.js';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Field, Notice, Progress } from '../ui/parts.js';
import type { UiState } from '../ui/protocol.js';
import type { TeamVaultView } from '../ui/team-protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';
import { GrantsView } from './grants-view.js';
import { SecretForm } from './secret-form.js';
import { SecretRow } from './secret-row.js';
import { TeamsSection } from './teams.js';

type View =
  | { kind: 'main' }
  | { kind: 'edit'; secret?: SecretSummary }
  | { kind: 'grants'; secret: SecretSummary };

export function syncText(sync: SyncStatus, relayUrl: string): { text: string; state: string } {
  const when = sync.at ? new Date(sync.at).toLocaleTimeString() : '';
  switch (sync.state) {
    case 'ok':
      return { text: `Synced ${when}`, state: 'ok' };
    case 'syncing':
      return { text: 'Syncing…', state: 'syncing' };
    case 'idle':
      return { text: 'Not synced yet', state: 'idle' };
    case 'error':
      if (sync.error === 'RELAY_UNAVAILABLE')
        return {
          text: `Relay unreachable at ${relayUrl} (${when}). Is it running? Changes wait on this device.`,
          state: 'unreachable',
        };
      if (sync.error === 'UNAUTHENTICATED' || sync.error === 'INVALID_CREDENTIALS')
        return {
          text: 'Relay session expired. Lock, then unlock to sign in again.',
          state: 'expired',
        };
      return { text: `Sync failed at ${when}: ${sync.error ?? 'unknown error'}.`, state: 'error' };
  }
}

export function MainView(props: {
  state: UiState;
  onState(s: UiState): void;
  welcome: boolean;
  onWelcomeSeen(): void;
}): JSX.Element {
  const { state, onState } = props;
  const [view, setView] = useState<View>({ kind: 'main' });
  const [vaults, setVaults] = useState<TeamVaultView[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [grantCounts, setGrantCounts] = useState<Record<string, number>>({});
  const act = useAction(state.relayUrl);
  // Which secrets are published to sites; a failure only leaves the tags out (sync tells why).
  const loadGrantCounts = () => void send('grant-counts', {}).then(setGrantCounts, () => undefined);

  const loadVaults = async () => {
    const list = await send('team-list', {});
    setVaults(list);
    return list;
  };
  useEffect(() => {
    void act.run('Loading vaults…', loadVaults, 'sync');
    loadGrantCounts();
  }, []);
  useEffect(() => {
    if (selected && vaults.length && !vaults.some((v) => v.id === selected)) setSelected(undefined);
  }, [vaults, selected]);

  const personal = vaults.find((v) => v.kind === 'personal');
  const writable = vaults.filter((v) => v.role !== 'user');
  const roleIn = (vaultId: string) => vaults.find((v) => v.id === vaultId)?.role;

  if (view.kind === 'edit') {
    const selectedWritable = writable.find((v) => v.id === selected);
    return (
      <SecretForm
        {...(view.secret ? { existing: view.secret } : {})}
        vaults={writable}
        defaultVaultId={selectedWritable?.id ?? personal?.id ?? ''}
        relayUrl={state.relayUrl}
        onSaved={(s) => {
          onState(s);
          setView({ kind: 'main' });
        }}
        onCancel={() => setView({ kind: 'main' })}
      />
    );
  }

  if (view.kind === 'grants') {
    return (
      <GrantsView
        secret={view.secret}
        role={roleIn(view.secret.vaultId)}
        relayUrl={state.relayUrl}
        onBack={() => {
          setView({ kind: 'main' });
          loadGrantCounts();
        }}
      />
    );
  }

  const shown = state.secrets.filter((s) => !selected || s.vaultId === selected);
  const selectedVault = vaults.find((v) => v.id === selected);
  const sync = syncText(state.sync, state.relayUrl);

  return (
    <div>
      <header class="topbar">
        <div class="brand">
          <Icon name="keyhole" size={20} />
          <h1>Keyhole</h1>
        </div>
        <div class="actions compact">
          <Button
            variant="ghost"
            icon="sync"
            testid="sync"
            disabled={act.busy}
            onClick={() =>
              void act.run(
                'Syncing with the relay…',
                async () => {
                  await loadVaults().catch(() => undefined);
                  // A failed sync is told by the status line (unreachable / expired), not an error box.
                  onState(await send('sync', {}).catch(() => send('state', {})));
                  loadGrantCounts();
                },
                'sync',
              )
            }
          >
            Sync
          </Button>
          <Button
            variant="ghost"
            icon="lock"
            testid="lock"
            disabled={act.busy}
            onClick={() => void act.run('Locking…', async () => onState(await send('lock', {})))}
          >
            Lock
          </Button>
        </div>
      </header>
      <p class={`sync ${sync.state}`} data-testid="sync-status" data-state={sync.state}>
        <Icon
          name={
            sync.state === 'ok'
              ? 'check'
              : sync.state === 'unreachable'
                ? 'cloudOff'
                : sync.state === 'syncing'
                  ? 'sync'
                  : 'alert'
          }
          size={14}
        />{' '}
        {sync.text}
      </p>
      {props.welcome ? (
        <div class="notice ok" data-testid="welcome">
          <Icon name="check" />
          <div>
            <p>
              <b>Account created.</b> Your key fingerprint is{' '}
              <code class="fp">{state.fingerprint}</code> — teammates compare it before they invite
              you.
            </p>
            <p>
              Your master password cannot be recovered. If it is not written down somewhere safe, do
              it now.
            </p>
            <Button variant="ghost" testid="welcome-ok" onClick={props.onWelcomeSeen}>
              Got it
            </Button>
          </div>
        </div>
      ) : null}
      {state.pendingApprovals ? (
        <Notice kind="warn" icon="shield">
          {state.pendingApprovals} site request(s) waiting in the approval window.
        </Notice>
      ) : null}
      <ErrorBox problem={act.problem} />
      <Progress text={act.progress} />

      <section>
        <div class="section-head">
          <h2>
            <Icon name="key" /> Secrets
          </h2>
          <Button
            variant="primary"
            icon="plus"
            testid="add-secret"
            onClick={() => setView({ kind: 'edit' })}
          >
            Add secret
          </Button>
        </div>
        <Field id="vault-switcher" label="Vault">
          <select
            id="vault-switcher"
            data-testid="vault-switcher"
            value={selected ?? ''}
            onChange={(e) => setSelected(e.currentTarget.value || undefined)}
          >
            <option value="">All vaults</option>
            {vaults.map((v) => (
              <option value={v.id} key={v.id}>
                {v.kind === 'personal' ? 'Personal' : `${v.name} (${v.role})`}
              </option>
            ))}
          </select>
        </Field>
        {shown.length ? (
          shown.map((s) => (
            <SecretRow
              key={`${s.vaultId}/${s.itemId}`}
              secret={s}
              role={roleIn(s.vaultId)}
              relayUrl={state.relayUrl}
              onEdit={() => setView({ kind: 'edit', secret: s })}
              onGrants={() => setView({ kind: 'grants', secret: s })}
              liveGrants={grantCounts[`${s.vaultId}/${s.itemId}`]}
              onState={onState}
            />
          ))
        ) : (
          <p class="empty" data-testid="no-secrets">
            {selectedVault
              ? `No secrets in ${selectedVault.kind === 'personal' ? 'Personal' : selectedVault.name} yet.`
              : 'No secrets yet. Add one: pages will use it without ever seeing it.'}
          </p>
        )}
      </section>

      <Permissions state={state} onState={onState} />

      <TeamsSection
        vaults={vaults}
        selected={selected}
        relayUrl={state.relayUrl}
        onCreated={async (vaultId) => {
          const [list, s] = await Promise.all([send('team-list', {}), send('state', {})]);
          setVaults(list);
          onState(s);
          setSelected(vaultId);
        }}
        onChanged={async () => {
          const [list, s] = await Promise.all([send('team-list', {}), send('state', {})]);
          setVaults(list);
          onState(s);
        }}
      />

      <Account state={state} onState={onState} />
    </div>
  );
}

function Permissions(props: { state: UiState; onState(s: UiState): void }): JSX.Element {
  const { state } = props;
  const act = useAction(state.relayUrl);
  const rows = state.secrets.flatMap((sec) =>
    sec.allowedOrigins.map((origin) => ({ sec, origin })),
  );
  return (
    <section>
      <h2>
        <Icon name="shield" /> Site permissions
      </h2>
      <ErrorBox problem={act.problem} />
      {rows.map(({ sec, origin }) => (
        <div
          class="row bar"
          data-testid="permission-row"
          key={`${sec.vaultId}/${sec.itemId}/${origin}`}
        >
          <span>
            {origin} → <b>{sec.name}</b>
          </span>
          <Button
            variant="ghost"
            testid="revoke"
            disabled={act.busy}
            onClick={() =>
              void act.run(`Revoking ${origin}…`, async () =>
                props.onState(
                  await send('set-origin', {
                    vaultId: sec.vaultId,
                    itemId: sec.itemId,
                    origin,
                    allowed: false,
                  }),
                ),
              )
            }
          >
            Revoke
          </Button>
        </div>
      ))}
      {state.denied.map((d) => (
        <div class="row bar" data-testid="denied-row" key={`${d.origin}|${d.name}`}>
          <span>
            {d.origin} ✕ <b>{d.name}</b> <span class="muted">(denied this session)</span>
          </span>
          <Button
            variant="ghost"
            disabled={act.busy}
            onClick={() =>
              void act.run('Forgetting…', async () =>
                props.onState(await send('forget-denial', { origin: d.origin, name: d.name })),
              )
            }
          >
            Forget
          </Button>
        </div>
      ))}
      {rows.length + state.denied.length === 0 ? (
        <p class="muted">No site may use a secret without asking yet.</p>
      ) : null}
      <Progress text={act.progress} />
    </section>
  );
}

function Account(props: { state: UiState; onState(s: UiState): void }): JSX.Element {
  const { state } = props;
  const act = useAction(state.relayUrl);
  const [idle, setIdle] = useState(String(state.settings.idleMinutes));
  const [saved, setSaved] = useState(false);
  return (
    <section>
      <h2>
        <Icon name="settings" /> Account &amp; settings
      </h2>
      <p class="muted">
        {state.email} on {state.relayUrl}
      </p>
      {state.fingerprint ? (
        <p class="muted">
          Key fingerprint:{' '}
          <code class="fp" data-testid="account-fingerprint">
            {state.fingerprint}
          </code>
        </p>
      ) : null}
      {(state.vaults ?? []).map((v) => (
        <p class={v.failure ? 'warn small' : 'muted'} data-testid="vault-state" key={v.vaultId}>
          {v.failure ? (
            <>
              Vault {v.name}: {v.failure.code}. It is skipped; your other vaults keep working.
            </>
          ) : (
            <>
              Vault {v.name} state: <code class="fp">{v.fingerprint ?? 'not signed yet'}</code>{' '}
              (compare across devices)
            </>
          )}
        </p>
      ))}
      <Field id="idle" label="Lock after idle (minutes)" problem={act.problem}>
        <div class="inline">
          <input
            id="idle"
            type="number"
            min={1}
            max={1440}
            data-testid="idle-minutes"
            value={idle}
            onInput={(e) => (setIdle(e.currentTarget.value), setSaved(false))}
          />
          <Button
            testid="save-settings"
            disabled={act.busy}
            onClick={() => {
              const n = Number(idle);
              if (!Number.isInteger(n) || n < 1 || n > 1440) {
                act.setProblem({
                  code: 'INVALID_REQUEST',
                  field: 'idle',
                  text: 'A whole number of minutes, 1 to 1440.',
                });
                return;
              }
              void act.run('Saving…', async () => {
                props.onState(await send('settings', { settings: { idleMinutes: n } }));
                setSaved(true);
              });
            }}
          >
            {saved ? 'Saved' : 'Save'}
          </Button>
        </div>
      </Field>
      <ErrorBox problem={act.problem?.field ? null : act.problem} />
      <Button
        variant="ghost"
        icon="logout"
        testid="logout"
        disabled={act.busy}
        onClick={() =>
          void act.run('Logging out…', async () => props.onState(await send('logout', {})))
        }
      >
        Log out of this browser
      </Button>
    </section>
  );
}
