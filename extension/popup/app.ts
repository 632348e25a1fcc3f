// The popup: create account / log in / unlock / lock, the secret list and editor, site permissions,
// settings and sync status. Values are masked and shown only on an explicit click.
import { browser } from 'wxt/browser';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { SecretSummary } from '../background/vault-service.js';
import { h, splitList } from '../ui/dom.js';
import type { UiRequest, UiResult, UiState } from '../ui/protocol.js';
import { createTeamPanel, USER_ROLE_TEXT } from './team-panel.js';

/** The types the popup edits (oauth secrets are made with the CLI). Type-only imports keep zod out of the popup. */
const EDITABLE_TYPES = ['bearer', 'plain', 'basic', 'template'] as const;

type View = { kind: 'main' } | { kind: 'edit'; secret?: SecretSummary };

export async function send<T>(req: UiRequest): Promise<T> {
  const res = (await browser.runtime.sendMessage(req)) as UiResult<T> | undefined;
  if (!res) throw Object.assign(new Error('The background did not answer.'), { code: 'INTERNAL' });
  if (!res.ok) throw Object.assign(new Error(res.error.message), { code: res.error.code });
  return res.data;
}

export function mountPopup(root: HTMLElement): void {
  let state: UiState | undefined;
  let view: View = { kind: 'main' };
  let error = '';
  let busy = false;
  const revealed = new Map<string, string>();
  let confirmingDelete = '';
  const teams = createTeamPanel({
    send,
    render: () => render(),
    refresh: () => void act({ ui: 'state' }),
  });
  let teamsLoaded = false;
  const shown = (s: UiState) =>
    s.secrets.filter((x) => !teams.selectedVaultId() || x.vaultId === teams.selectedVaultId());

  async function act(req: UiRequest, after?: () => void): Promise<void> {
    if (busy) return;
    busy = true;
    error = '';
    setBusy(true);
    try {
      state = await send<UiState>(req);
      after?.();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      busy = false;
      render();
    }
  }

  function setBusy(on: boolean): void {
    for (const b of root.querySelectorAll('button')) b.disabled = on;
  }

  function errorBox(): HTMLElement | null {
    return error ? h('div', { class: 'error', role: 'alert', testid: 'error' }, error) : null;
  }

  function setupView(s: UiState): HTMLElement {
    const relay = h('input', {
      id: 'relay',
      type: 'url',
      value: s.relayUrl,
      testid: 'relay-url',
      required: true,
    });
    const email = h('input', {
      id: 'email',
      type: 'email',
      value: s.email,
      testid: 'email',
      autocomplete: 'username',
      required: true,
    });
    const pw = h('input', {
      id: 'pw',
      type: 'password',
      testid: 'master-password',
      autocomplete: 'current-password',
      required: true,
      minLength: 8,
    });
    const go = (ui: 'signup' | 'login') => () =>
      void act(
        { ui, relayUrl: relay.value.trim(), email: email.value.trim(), password: pw.value },
        () => (pw.value = ''),
      );
    const form = h(
      'form',
      { onsubmit: (e: Event) => (e.preventDefault(), go('login')()) },
      h('h1', {}, 'Keyhole'),
      h('p', { class: 'muted' }, 'Create an account on a relay, or log in to one you already use.'),
      h('label', { for: 'relay' }, 'Relay URL'),
      relay,
      h('label', { for: 'email' }, 'Email'),
      email,
      h('label', { for: 'pw' }, 'Master password'),
      pw,
      errorBox(),
      h('button', { type: 'button', testid: 'signup', onclick: go('signup') }, 'Create account'),
      h('button', { type: 'submit', testid: 'login' }, 'Log in'),
    );
    queueMicrotask(() => (s.email ? pw : email).focus());
    return form;
  }

  function lockedView(s: UiState): HTMLElement {
    const pw = h('input', {
      id: 'pw',
      type: 'password',
      testid: 'master-password',
      autocomplete: 'current-password',
      required: true,
    });
    const form = h(
      'form',
      {
        onsubmit: (e: Event) => (
          e.preventDefault(),
          void act({ ui: 'unlock', password: pw.value })
        ),
      },
      h('h1', {}, 'Keyhole is locked'),
      h('p', { class: 'muted' }, `${s.email} on ${s.relayUrl}`),
      h('label', { for: 'pw' }, 'Master password'),
      pw,
      errorBox(),
      h('button', { type: 'submit', testid: 'unlock' }, 'Unlock'),
      h(
        'button',
        { type: 'button', testid: 'logout', onclick: () => void act({ ui: 'logout' }) },
        'Use another account',
      ),
    );
    queueMicrotask(() => pw.focus());
    return form;
  }

  function syncLine(s: UiState): HTMLElement {
    const st = s.sync;
    const when = st.at ? new Date(st.at).toLocaleTimeString() : '';
    const text =
      st.state === 'ok'
        ? `Synced ${when}`
        : st.state === 'error'
          ? `Sync failed (${st.error ?? 'error'}) ${when}`
          : st.state === 'syncing'
            ? 'Syncing…'
            : 'Not synced yet';
    return h(
      'span',
      { class: st.state === 'error' ? 'muted warn' : 'muted', testid: 'sync-status' },
      text,
    );
  }

  function secretRow(s: SecretSummary): HTMLElement {
    const key = `${s.vaultId}/${s.itemId}`;
    const shown = revealed.get(key);
    const row = h(
      'div',
      { class: 'row', testid: 'secret-row', 'data-name': s.name },
      h(
        'div',
        { class: 'bar' },
        h('span', { class: 'name' }, s.name),
        h('span', { class: 'muted' }, `${s.type} · ${s.vaultName}`),
      ),
      s.conflict
        ? h(
            'div',
            { class: 'warn' },
            'Conflict copy: both versions were kept. Compare, then delete one.',
          )
        : null,
      h('div', { class: 'muted' }, `Hosts: ${s.allowedHosts.join(', ')}`),
      h(
        'div',
        { class: 'muted' },
        `Sites: ${s.allowedOrigins.length ? s.allowedOrigins.join(', ') : '(ask each time)'}`,
      ),
      s.description ? h('div', { class: 'muted' }, s.description) : null,
      h('div', { class: 'value', testid: 'secret-revealed' }, shown ?? '••••••••'),
      h(
        'button',
        {
          type: 'button',
          testid: 'reveal',
          onclick: () => {
            if (shown !== undefined) {
              revealed.delete(key);
              render();
              return;
            }
            void send<Partial<SecretPayload>>({
              ui: 'reveal',
              vaultId: s.vaultId,
              itemId: s.itemId,
            }).then(
              (v) => {
                revealed.set(
                  key,
                  v.value ??
                    (v.username !== undefined
                      ? `${v.username}:${v.password ?? ''}`
                      : JSON.stringify(v.fields ?? {})),
                );
                render();
              },
              (err: Error) => ((error = err.message), render()),
            );
          },
        },
        shown !== undefined ? 'Hide' : 'Reveal',
      ),
      h(
        'button',
        {
          type: 'button',
          testid: 'edit-secret',
          onclick: () => ((view = { kind: 'edit', secret: s }), render()),
        },
        'Edit',
      ),
      h(
        'button',
        {
          type: 'button',
          testid: 'delete-secret',
          onclick: () => {
            // Two clicks: dialogs do not work in an action popup.
            if (confirmingDelete !== key) {
              confirmingDelete = key;
              render();
              return;
            }
            confirmingDelete = '';
            void act({ ui: 'delete', vaultId: s.vaultId, itemId: s.itemId });
          },
        },
        confirmingDelete === key ? `Really delete ${s.name}?` : 'Delete',
      ),
    );
    // Team role "user": may use, not see or change — a client policy, not cryptography.
    if (teams.roleIn(s.vaultId) === 'user') {
      for (const b of row.querySelectorAll(
        '[data-testid=reveal],[data-testid=edit-secret],[data-testid=delete-secret]',
      ))
        b.remove();
      row.append(h('div', { class: 'muted', testid: 'user-role-notice' }, USER_ROLE_TEXT));
    }
    return row;
  }

  function permissions(s: UiState): HTMLElement {
    const rows: HTMLElement[] = [];
    for (const sec of s.secrets) {
      for (const origin of sec.allowedOrigins) {
        rows.push(
          h(
            'div',
            { class: 'row bar', testid: 'permission-row' },
            h('span', {}, `${origin} → ${sec.name}`),
            h(
              'button',
              {
                type: 'button',
                testid: 'revoke',
                onclick: () =>
                  void act({
                    ui: 'set-origin',
                    vaultId: sec.vaultId,
                    itemId: sec.itemId,
                    origin,
                    allowed: false,
                  }),
              },
              'Revoke',
            ),
          ),
        );
      }
    }
    for (const d of s.denied) {
      rows.push(
        h(
          'div',
          { class: 'row bar', testid: 'denied-row' },
          h('span', {}, `${d.origin} ✕ ${d.name} (denied this session)`),
          h(
            'button',
            {
              type: 'button',
              onclick: () => void act({ ui: 'forget-denial', origin: d.origin, name: d.name }),
            },
            'Forget',
          ),
        ),
      );
    }
    return h(
      'section',
      {},
      h('h2', {}, 'Site permissions'),
      rows.length ? rows : h('p', { class: 'muted' }, 'No site may use a secret yet.'),
    );
  }

  function settings(s: UiState): HTMLElement {
    const idle = h('input', {
      id: 'idle',
      type: 'number',
      min: 1,
      max: 1440,
      value: s.settings.idleMinutes,
      testid: 'idle-minutes',
    });
    return h(
      'section',
      {},
      h('h2', {}, 'Account & settings'),
      h('div', { class: 'muted' }, `${s.email} on ${s.relayUrl}`),
      h('label', { for: 'idle' }, 'Lock after idle (minutes)'),
      idle,
      h(
        'button',
        {
          type: 'button',
          testid: 'save-settings',
          onclick: () =>
            void act({ ui: 'settings', settings: { idleMinutes: Number(idle.value) } }),
        },
        'Save',
      ),
      h(
        'button',
        { type: 'button', testid: 'logout', onclick: () => void act({ ui: 'logout' }) },
        'Log out of this browser',
      ),
    );
  }

  function mainView(s: UiState): HTMLElement {
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'bar' },
        h('h1', {}, 'Keyhole'),
        h(
          'span',
          {},
          h(
            'button',
            { type: 'button', testid: 'sync', onclick: () => void act({ ui: 'sync' }) },
            'Sync',
          ),
          h(
            'button',
            { type: 'button', testid: 'lock', onclick: () => void act({ ui: 'lock' }) },
            'Lock',
          ),
        ),
      ),
      syncLine(s),
      s.pendingApprovals
        ? h(
            'div',
            { class: 'warn' },
            `${s.pendingApprovals} site request(s) waiting in the approval window.`,
          )
        : null,
      errorBox(),
      h('h2', {}, 'Secrets'),
      h(
        'button',
        {
          type: 'button',
          testid: 'add-secret',
          onclick: () => ((view = { kind: 'edit' }), render()),
        },
        'Add secret',
      ),
      shown(s).length ? shown(s).map(secretRow) : h('p', { class: 'muted' }, 'No secrets yet.'),
      permissions(s),
      teams.view(),
      settings(s),
    );
  }

  function editView(existing: SecretSummary | undefined): HTMLElement {
    const name = h('input', {
      id: 'name',
      testid: 'secret-name',
      value: existing?.name ?? '',
      required: true,
      autocomplete: 'off',
    });
    const type = h(
      'select',
      { id: 'type', testid: 'secret-type' },
      EDITABLE_TYPES.map((t) =>
        h('option', { value: t, selected: t === (existing?.type ?? 'bearer') }, t),
      ),
    );
    const value = h('input', {
      id: 'value',
      type: 'password',
      testid: 'secret-value',
      autocomplete: 'off',
      placeholder: existing ? '(unchanged)' : '',
    });
    const username = h('input', { id: 'user', testid: 'secret-username', autocomplete: 'off' });
    const password = h('input', {
      id: 'pass',
      type: 'password',
      testid: 'secret-password',
      autocomplete: 'off',
    });
    const hosts = h('textarea', {
      id: 'hosts',
      testid: 'secret-hosts',
      placeholder: 'api.example.com',
    });
    hosts.value = existing?.allowedHosts.join('\n') ?? '';
    const origins = h('textarea', {
      id: 'origins',
      testid: 'secret-origins',
      placeholder: 'https://app.example.com',
    });
    origins.value = existing?.allowedOrigins.join('\n') ?? '';
    const description = h('input', {
      id: 'desc',
      testid: 'secret-description',
      value: existing?.description ?? '',
    });
    const basicBox = h(
      'div',
      {},
      h('label', { for: 'user' }, 'Username'),
      username,
      h('label', { for: 'pass' }, 'Password'),
      password,
    );
    const valueBox = h(
      'div',
      {},
      h('label', { for: 'value' }, 'Value (template: JSON object of fields)'),
      value,
    );
    const sync = () => {
      basicBox.hidden = type.value !== 'basic';
      valueBox.hidden = type.value === 'basic';
    };
    type.addEventListener('change', sync);
    sync();
    const submit = (e: Event) => {
      e.preventDefault();
      const secret: Partial<SecretPayload> = {
        name: name.value.trim(),
        type: type.value as SecretPayload['type'],
        allowedHosts: splitList(hosts.value),
        allowedOrigins: splitList(origins.value).map(normaliseOrigin),
        description: description.value,
      };
      if (secret.type === 'basic') {
        if (username.value || password.value)
          Object.assign(secret, { username: username.value, password: password.value });
      } else if (secret.type === 'template') {
        if (value.value) {
          try {
            secret.fields = JSON.parse(value.value) as Record<string, string>;
          } catch {
            error = 'Template fields must be a JSON object of strings.';
            render();
            return;
          }
        }
      } else if (value.value) {
        secret.value = value.value;
      }
      const req: UiRequest = { ui: 'save', secret };
      const target = teams.selectedVaultId();
      if (!existing && target) Object.assign(req, { vaultId: target });
      if (existing) Object.assign(req, { vaultId: existing.vaultId, itemId: existing.itemId });
      void act(req, () => (view = { kind: 'main' }));
    };
    queueMicrotask(() => name.focus());
    return h(
      'form',
      { onsubmit: submit },
      h('h1', {}, existing ? `Edit ${existing.name}` : 'Add a secret'),
      h('label', { for: 'name' }, 'Name'),
      name,
      h('label', { for: 'type' }, 'Type'),
      type,
      valueBox,
      basicBox,
      h('label', { for: 'hosts' }, 'Allowed hosts (one per line; http:// must be written out)'),
      hosts,
      h('label', { for: 'origins' }, 'Allowed sites (origins; others are asked)'),
      origins,
      h('label', { for: 'desc' }, 'Description'),
      description,
      errorBox(),
      h('button', { type: 'submit', testid: 'save-secret' }, 'Save'),
      h(
        'button',
        {
          type: 'button',
          testid: 'cancel',
          onclick: () => ((view = { kind: 'main' }), (error = ''), render()),
        },
        'Cancel',
      ),
    );
  }

  function render(): void {
    if (!state) return;
    let content: HTMLElement;
    if (!state.hasAccount) content = setupView(state);
    else if (!state.unlocked) content = lockedView(state);
    else if (view.kind === 'edit') content = editView(view.secret);
    else content = mainView(state);
    if (state.unlocked && !teamsLoaded) {
      teamsLoaded = true;
      teams.load();
    }
    if (!state.unlocked) teamsLoaded = false;
    root.replaceChildren(content);
    root.dataset.view = !state.hasAccount ? 'setup' : !state.unlocked ? 'locked' : view.kind;
    if (!state.unlocked) revealed.clear();
  }

  void send<UiState>({ ui: 'state' }).then(
    (s) => {
      state = s;
      render();
      root.dataset.ready = '1';
      root.dataset.readyMs = String(Math.round(performance.now()));
    },
    (err: Error) => {
      root.replaceChildren(h('div', { class: 'error', role: 'alert' }, err.message));
    },
  );
}

/** `https://app.example/` → `https://app.example`; anything unparsable is kept for the schema to refuse. */
function normaliseOrigin(text: string): string {
  try {
    const u = new URL(text);
    return u.origin === 'null' ? text : u.origin;
  } catch {
    return text;
  }
}
