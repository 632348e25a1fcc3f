// The team section: the selected team's members with key fingerprints, invitations (look up →
// compare fingerprint → invite), removal with the secrets to rotate, team creation, the audit log.
// The vault list and the selection live in the main view (they also drive the secret list).
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Role } from '../../shared/protocol/vault.js';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Field, invalidProps, Notice, Progress } from '../ui/parts.js';
import type {
  TeamAuditRowView,
  TeamMembersView,
  TeamRemovalView,
  TeamVaultView,
} from '../ui/team-protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';
import type { ActionState } from '../ui/use-action.js';

/** Said to (and about) role "user" wherever it matters: a client policy, not cryptography. */
export const USER_ROLE_TEXT =
  'Role "user" may use this team\'s secrets but not see or change them. Keyhole clients hide the ' +
  'values and the relay refuses their writes — a client policy, not cryptography.';

const INVITE_ROLES: Role[] = ['member', 'user', 'admin', 'owner'];
const manages = (role: Role | undefined) => role === 'owner' || role === 'admin';

export function TeamsSection(props: {
  vaults: TeamVaultView[];
  selected: string | undefined;
  relayUrl: string;
  /** a team was created: reload vaults and state together, then select it */
  onCreated(vaultId: string): Promise<void>;
  /** secrets may have changed (removal rotates keys) */
  onChanged(): Promise<void>;
}): JSX.Element {
  const act = useAction(props.relayUrl);
  // Shown while the team it is about is the one selected.
  const [notice, setNotice] = useState<{ text: string; vaultId: string } | null>(null);
  const [name, setName] = useState('');
  const team = props.vaults.find((v) => v.id === props.selected && v.kind === 'team');

  const create = () => {
    const trimmed = name.trim();
    if (!trimmed) {
      act.setProblem({
        code: 'INVALID_REQUEST',
        field: 'team-name',
        text: 'Name the team, e.g. backend.',
      });
      return;
    }
    void act.run(
      `Creating team ${trimmed}…`,
      async () => {
        const t = await send('team-create', { name: trimmed });
        await props.onCreated(t.vaultId);
        setName('');
        setNotice({
          text: `Created team ${t.name}; you are its owner. Invite members below.`,
          vaultId: t.vaultId,
        });
      },
      'team',
    );
  };

  return (
    <section data-testid="teams">
      <h2>
        <Icon name="users" /> Teams
      </h2>
      <ErrorBox problem={act.problem?.field ? null : act.problem} testid="team-error" />
      {notice && notice.vaultId === props.selected ? (
        <Notice kind="ok" icon="check" testid="team-notice">
          {notice.text}
        </Notice>
      ) : null}
      {team ? (
        <TeamView key={team.id} team={team} relayUrl={props.relayUrl} onChanged={props.onChanged} />
      ) : (
        <p class="muted">Choose a team in the vault menu above to see its members.</p>
      )}
      <Field id="team-name" label="New team vault" problem={act.problem}>
        <div class="inline">
          <input
            {...invalidProps('team-name', act.problem)}
            data-testid="team-create-name"
            placeholder="backend"
            autocomplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), create())}
          />
          <Button testid="team-create" icon="plus" disabled={act.busy} onClick={create}>
            Create team
          </Button>
        </div>
      </Field>
      <Progress text={act.progress} />
    </section>
  );
}

function TeamView(props: {
  team: TeamVaultView;
  relayUrl: string;
  onChanged(): Promise<void>;
}): JSX.Element {
  const { team } = props;
  const act = useAction(props.relayUrl);
  const [members, setMembers] = useState<TeamMembersView | undefined>();
  const [audit, setAudit] = useState<TeamAuditRowView[] | undefined>();
  const [removal, setRemoval] = useState<TeamRemovalView | undefined>();
  const [confirming, setConfirming] = useState('');
  const [notice, setNotice] = useState('');
  const canManage = manages(team.role);

  const loadMembers = async () => setMembers(await send('team-members', { vaultId: team.id }));
  useEffect(() => {
    void act.run('Loading members…', loadMembers, 'team');
  }, [team.id]);

  const remove = (email: string, key: string) => {
    if (confirming !== key) {
      setConfirming(key);
      return;
    }
    setConfirming('');
    void act.run(
      `Removing ${email} and rotating the team key…`,
      async () => {
        setRemoval(await send('team-remove', { vaultId: team.id, email }));
        await loadMembers();
        await props.onChanged();
      },
      'team',
    );
  };

  return (
    <div data-testid="team-view" class="card">
      <p class="muted">
        Your role in {team.name}: <b>{team.role}</b>
      </p>
      {team.role === 'user' ? (
        <Notice kind="warn" testid="user-role-notice">
          {USER_ROLE_TEXT}
        </Notice>
      ) : null}
      <ErrorBox problem={act.problem?.field ? null : act.problem} testid="team-error" />
      {notice ? (
        <Notice kind="ok" icon="check" testid="team-notice">
          {notice}
        </Notice>
      ) : null}
      {members ? (
        <>
          <h3>Members (key generation {members.keyGeneration})</h3>
          {members.members.map((m) => {
            const mayRemove =
              canManage &&
              m.accountId !== members.you &&
              (team.role === 'owner' || !manages(m.role));
            return (
              <div
                class="row member"
                data-testid="team-member-row"
                data-email={m.email}
                key={m.accountId}
              >
                <div>
                  <div>
                    {m.email} · {m.role}
                  </div>
                  <code class="fp" data-testid="team-member-fingerprint">
                    {m.fingerprint}
                  </code>
                </div>
                {mayRemove ? (
                  <Button
                    variant={confirming === m.accountId ? 'danger' : 'ghost'}
                    testid="team-remove"
                    disabled={act.busy}
                    onClick={() => remove(m.email, m.accountId)}
                  >
                    {confirming === m.accountId
                      ? `Really remove ${m.email}? (new team key)`
                      : 'Remove'}
                  </Button>
                ) : null}
              </div>
            );
          })}
          {members.members.some((m) => m.role === 'user') && team.role !== 'user' ? (
            <p class="muted">{USER_ROLE_TEXT}</p>
          ) : null}
        </>
      ) : (
        <p class="muted">Loading members…</p>
      )}
      {removal ? (
        <Notice kind="warn" testid="team-removal-report">
          Removed {removal.email} (key generation {removal.fromGeneration} → {removal.toGeneration}
          ).{' '}
          {removal.exposedSecrets.length
            ? `They could have seen: ${removal.exposedSecrets.join(', ')} — rotate these at the provider; removal cannot take back what they already saw.`
            : 'The team had no secrets they could have seen.'}
        </Notice>
      ) : null}
      {canManage ? (
        <InviteForm
          team={team}
          act={act}
          onInvited={async (text) => {
            setNotice(text);
            await loadMembers();
          }}
        />
      ) : null}
      <Button
        variant="ghost"
        testid="team-audit"
        disabled={act.busy}
        onClick={() =>
          void act.run(
            'Loading the audit log…',
            async () => setAudit(await send('team-audit', { vaultId: team.id })),
            'team',
          )
        }
      >
        {canManage ? 'Show audit log' : 'Show my requests'}
      </Button>
      {audit ? (
        audit.length === 0 ? (
          <p class="muted">No requests yet.</p>
        ) : (
          audit.map((r, i) => (
            <div class="row muted small" data-testid="team-audit-row" key={i}>
              {new Date(r.at).toLocaleString()} · {r.accountEmail ?? '?'} · {r.secretName ?? '-'} ·{' '}
              {r.origin ?? '-'} → {r.method ?? ''} {r.host ?? ''} · {r.status ?? r.errorCode ?? '-'}
            </div>
          ))
        )
      ) : null}
      <Progress text={act.progress} />
    </div>
  );
}

function InviteForm(props: {
  team: TeamVaultView;
  act: ActionState;
  onInvited(text: string): Promise<void>;
}): JSX.Element {
  const { team, act } = props;
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [expected, setExpected] = useState('');
  const [lookup, setLookup] = useState<{ email: string; fingerprint: string } | undefined>();
  const problem = act.problem;

  const lookUp = () => {
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) {
      act.setProblem({
        code: 'INVALID_REQUEST',
        field: 'invite-email',
        text: 'Type their email address.',
      });
      return;
    }
    void act.run(
      `Looking up ${email.trim()}…`,
      async () => {
        setLookup(await send('team-lookup', { email: email.trim() }));
      },
      'invite',
    );
  };
  const invite = () =>
    void act.run(
      `Inviting ${email.trim()}…`,
      async () => {
        const r = await send('team-invite', {
          vaultId: team.id,
          email: email.trim(),
          role,
          ...(expected.trim() ? { fingerprint: expected.trim() } : {}),
        });
        setLookup(undefined);
        setEmail('');
        setExpected('');
        await props.onInvited(
          `Invited ${r.email} as ${r.role}.${r.role === 'user' ? ` ${USER_ROLE_TEXT}` : ''}`,
        );
      },
      'invite',
    );

  return (
    <div data-testid="team-invite-form" class="subform">
      <h3>Invite</h3>
      <Field id="invite-email" label="Email" problem={problem}>
        <input
          {...invalidProps('invite-email', problem)}
          type="email"
          data-testid="team-invite-email"
          value={email}
          onInput={(e) => (setEmail(e.currentTarget.value), setLookup(undefined))}
        />
      </Field>
      <Field id="invite-role" label="Role" problem={problem}>
        <select
          {...invalidProps('invite-role', problem)}
          data-testid="team-invite-role"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as Role)}
        >
          {INVITE_ROLES.filter((r) => team.role === 'owner' || !manages(r)).map((r) => (
            <option value={r} key={r}>
              {r}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id="fingerprint"
        label="Their fingerprint (as they read it to you; optional)"
        problem={problem}
      >
        <input
          {...invalidProps('fingerprint', problem)}
          class="mono"
          data-testid="team-invite-fingerprint"
          placeholder="3F9A-77C1-0B2E-D4A8-91FF"
          value={expected}
          onInput={(e) => setExpected(e.currentTarget.value)}
        />
      </Field>
      <Button testid="team-lookup" icon="fingerprint" disabled={act.busy} onClick={lookUp}>
        Look up key
      </Button>
      {lookup ? (
        <div class="card">
          <p class="muted">Key fingerprint of {lookup.email}:</p>
          <code class="fp" data-testid="team-invite-fp">
            {lookup.fingerprint}
          </code>
          <p class="muted">
            Compare it with what they see in their Keyhole (not through the relay). A different
            fingerprint stops the invitation; nothing is sent.
          </p>
          <Button variant="primary" testid="team-invite" disabled={act.busy} onClick={invite}>
            Invite {lookup.email}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
