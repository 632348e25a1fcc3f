// The popup's team section: a vault switcher (which vault the list shows and new secrets go to),
// the selected team's members with key fingerprints, invitations (look up → compare fingerprint →
// invite), removal with the list of secrets to rotate, team creation and the team's audit log.
import type { Role } from '../../shared/protocol/vault.js';
import { h } from '../ui/dom.js';
import type { UiRequest } from '../ui/protocol.js';
import type {
  TeamAuditRowView,
  TeamMembersView,
  TeamRemovalView,
  TeamUiRequest,
  TeamVaultView,
} from '../ui/team-protocol.js';

/** Said to (and about) role "user" wherever it matters: a client policy, not cryptography. */
export const USER_ROLE_TEXT =
  'Role "user" may use this team\'s secrets but not see or change them. Keyhole clients hide the ' +
  'values and the relay refuses their writes — a client policy, not cryptography.';

const INVITE_ROLES: Role[] = ['member', 'user', 'admin', 'owner'];

export interface TeamPanelHost {
  send<T>(req: UiRequest | TeamUiRequest): Promise<T>;
  /** re-render the whole popup (after the selection or a team changed) */
  render(): void;
  /** reload the popup state (secrets may have changed) */
  refresh(): void;
}

export interface TeamPanel {
  /** the vault chosen in the switcher; undefined = all vaults */
  selectedVaultId(): string | undefined;
  /** role in the selected vault (to hide reveal/edit for users) */
  roleIn(vaultId: string): Role | undefined;
  view(): HTMLElement;
  /** reload vaults (and the selected team's members) */
  load(): void;
}

export function createTeamPanel(host: TeamPanelHost): TeamPanel {
  let vaults: TeamVaultView[] = [];
  let selected: string | undefined;
  let members: TeamMembersView | undefined;
  let audit: TeamAuditRowView[] | undefined;
  let lookup: { email: string; fingerprint: string } | undefined;
  let removal: TeamRemovalView | undefined;
  let confirmingRemove = '';
  let error = '';
  let notice = '';
  let busy = false;

  async function run<T>(req: TeamUiRequest, then: (value: T) => void): Promise<void> {
    if (busy) return;
    busy = true;
    error = '';
    try {
      then(await host.send<T>(req));
    } catch (err) {
      const code = (err as { code?: string }).code;
      error = code ? `${code}: ${(err as Error).message}` : String(err);
    } finally {
      busy = false;
      host.render();
    }
  }

  const selectedTeam = () => vaults.find((v) => v.id === selected && v.kind === 'team');
  const manages = (role: Role | undefined) => role === 'owner' || role === 'admin';

  function loadMembers(): void {
    const team = selectedTeam();
    members = undefined;
    audit = undefined;
    if (!team) return;
    void run<TeamMembersView>({ ui: 'team-members', vaultId: team.id }, (m) => (members = m));
  }

  function load(): void {
    void run<TeamVaultView[]>({ ui: 'team-list' }, (list) => {
      vaults = list;
      if (selected && !vaults.some((v) => v.id === selected)) selected = undefined;
      if (selectedTeam()) queueMicrotask(loadMembers);
    });
  }

  function switcher(): HTMLElement {
    const select = h(
      'select',
      { id: 'vault-switcher', testid: 'vault-switcher' },
      h('option', { value: '', selected: selected === undefined }, 'All vaults'),
      vaults.map((v) =>
        h(
          'option',
          { value: v.id, selected: v.id === selected },
          v.kind === 'personal' ? 'Personal' : `${v.name} (${v.role})`,
        ),
      ),
    );
    select.addEventListener('change', () => {
      selected = select.value || undefined;
      lookup = undefined;
      removal = undefined;
      notice = '';
      loadMembers();
      host.render();
    });
    return h('div', {}, h('label', { for: 'vault-switcher' }, 'Vault'), select);
  }

  function memberRow(
    m: TeamMembersView['members'][number],
    canManage: boolean,
    myRole: Role,
  ): HTMLElement {
    const mayRemove =
      canManage && m.accountId !== members?.you && (myRole === 'owner' || !manages(m.role));
    const key = m.accountId;
    return h(
      'div',
      { class: 'row bar', testid: 'team-member-row', 'data-email': m.email },
      h('span', {}, `${m.email} · ${m.role}`),
      h('code', { class: 'muted', testid: 'team-member-fingerprint' }, m.fingerprint),
      mayRemove
        ? h(
            'button',
            {
              type: 'button',
              testid: 'team-remove',
              onclick: () => {
                if (confirmingRemove !== key) {
                  confirmingRemove = key;
                  host.render();
                  return;
                }
                confirmingRemove = '';
                const team = selectedTeam();
                if (!team) return;
                void run<TeamRemovalView>(
                  { ui: 'team-remove', vaultId: team.id, email: m.email },
                  (r) => {
                    removal = r;
                    loadMembers();
                    host.refresh();
                  },
                );
              },
            },
            confirmingRemove === key ? `Really remove ${m.email}? (new team key)` : 'Remove',
          )
        : null,
    );
  }

  function inviteForm(team: TeamVaultView): HTMLElement {
    const email = h('input', {
      id: 'invite-email',
      type: 'email',
      testid: 'team-invite-email',
      value: lookup?.email ?? '',
    });
    const role = h(
      'select',
      { id: 'invite-role', testid: 'team-invite-role' },
      INVITE_ROLES.filter((r) => team.role === 'owner' || !manages(r)).map((r) =>
        h('option', { value: r }, r),
      ),
    );
    const expected = h('input', {
      id: 'invite-fp',
      testid: 'team-invite-fingerprint',
      placeholder: '3F9A-77C1-0B2E-D4A8-91FF',
    });
    const lookUp = () =>
      void run<{ email: string; fingerprint: string }>(
        { ui: 'team-lookup', email: email.value.trim() },
        (k) => (lookup = k),
      );
    const invite = () =>
      void run<{ email: string; role: Role }>(
        {
          ui: 'team-invite',
          vaultId: team.id,
          email: email.value.trim(),
          role: role.value as Role,
          ...(expected.value.trim() ? { fingerprint: expected.value.trim() } : {}),
        },
        (r) => {
          notice = `Invited ${r.email} as ${r.role}.${r.role === 'user' ? ` ${USER_ROLE_TEXT}` : ''}`;
          lookup = undefined;
          loadMembers();
        },
      );
    return h(
      'div',
      { testid: 'team-invite-form' },
      h('h3', {}, 'Invite'),
      h('label', { for: 'invite-email' }, 'Email'),
      email,
      h('label', { for: 'invite-role' }, 'Role'),
      role,
      h('label', { for: 'invite-fp' }, 'Their fingerprint (as they read it to you; optional)'),
      expected,
      h('button', { type: 'button', testid: 'team-lookup', onclick: lookUp }, 'Look up key'),
      lookup
        ? h(
            'div',
            {},
            h('div', { class: 'muted' }, `Key fingerprint of ${lookup.email}:`),
            h('code', { testid: 'team-invite-fp' }, lookup.fingerprint),
            h(
              'div',
              { class: 'muted' },
              'Compare it with what they see in their Keyhole (not through the relay). A different fingerprint stops the invitation; nothing is sent.',
            ),
            h(
              'button',
              { type: 'button', testid: 'team-invite', onclick: invite },
              `Invite ${lookup.email}`,
            ),
          )
        : null,
    );
  }

  function auditView(team: TeamVaultView): HTMLElement {
    return h(
      'div',
      {},
      h(
        'button',
        {
          type: 'button',
          testid: 'team-audit',
          onclick: () =>
            void run<TeamAuditRowView[]>(
              { ui: 'team-audit', vaultId: team.id },
              (rows) => (audit = rows),
            ),
        },
        manages(team.role) ? 'Show audit log' : 'Show my requests',
      ),
      audit
        ? audit.length === 0
          ? h('p', { class: 'muted' }, 'No requests yet.')
          : audit.map((r) =>
              h(
                'div',
                { class: 'row muted', testid: 'team-audit-row' },
                `${new Date(r.at).toLocaleString()} · ${r.accountEmail ?? '?'} · ${r.secretName ?? '-'} · ${r.origin ?? '-'} → ${r.method ?? ''} ${r.host ?? ''} · ${r.status ?? r.errorCode ?? '-'}`,
              ),
            )
        : null,
    );
  }

  function teamView(team: TeamVaultView): HTMLElement {
    const canManage = manages(team.role);
    return h(
      'div',
      { testid: 'team-view' },
      h('div', { class: 'muted' }, `Your role in ${team.name}: ${team.role}`),
      team.role === 'user'
        ? h('div', { class: 'warn', testid: 'user-role-notice' }, USER_ROLE_TEXT)
        : null,
      members
        ? [
            h('h3', {}, `Members (key generation ${members.keyGeneration})`),
            ...members.members.map((m) => memberRow(m, canManage, team.role)),
            members.members.some((m) => m.role === 'user') && team.role !== 'user'
              ? h('div', { class: 'muted' }, USER_ROLE_TEXT)
              : null,
          ]
        : h('p', { class: 'muted' }, 'Loading members…'),
      removal
        ? h(
            'div',
            { class: 'warn', testid: 'team-removal-report' },
            `Removed ${removal.email} (key generation ${removal.fromGeneration} → ${removal.toGeneration}). `,
            removal.exposedSecrets.length
              ? `They could have seen: ${removal.exposedSecrets.join(', ')} — rotate these at the provider; removal cannot take back what they already saw.`
              : 'The team had no secrets they could have seen.',
          )
        : null,
      canManage ? inviteForm(team) : null,
      auditView(team),
    );
  }

  function createForm(): HTMLElement {
    const name = h('input', {
      id: 'team-name',
      testid: 'team-create-name',
      placeholder: 'backend',
      autocomplete: 'off',
    });
    return h(
      'div',
      {},
      h('label', { for: 'team-name' }, 'New team vault'),
      name,
      h(
        'button',
        {
          type: 'button',
          testid: 'team-create',
          onclick: () =>
            void run<{ vaultId: string; name: string }>(
              { ui: 'team-create', name: name.value.trim() },
              (t) => {
                notice = `Created team ${t.name}; you are its owner.`;
                selected = t.vaultId;
                load();
                host.refresh();
              },
            ),
        },
        'Create team',
      ),
    );
  }

  return {
    selectedVaultId: () => selected,
    roleIn: (vaultId) => vaults.find((v) => v.id === vaultId)?.role,
    load,
    view() {
      const team = selectedTeam();
      return h(
        'section',
        { testid: 'teams' },
        h('h2', {}, 'Vaults & teams'),
        switcher(),
        error ? h('div', { class: 'error', role: 'alert', testid: 'team-error' }, error) : null,
        notice ? h('div', { class: 'muted', testid: 'team-notice' }, notice) : null,
        team ? teamView(team) : null,
        createForm(),
      );
    },
  };
}
