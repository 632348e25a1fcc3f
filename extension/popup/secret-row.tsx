// One secret in the list: name, type, vault, hosts and sites; the value masked until an explicit
// Reveal; Edit and a two-click Delete (dialogs do not work in an action popup).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { SecretPayload } from '../../shared/protocol/secret.js';
import type { SecretSummary } from '../background/vault-service.js';
import { Icon } from '../ui/icons.js';
import { Button, ErrorBox, Progress } from '../ui/parts.js';
import type { UiState } from '../ui/protocol.js';
import { send } from '../ui/send.js';
import { useAction } from '../ui/use-action.js';
import { USER_ROLE_TEXT } from './teams.js';

function shownValue(v: Partial<SecretPayload>): string {
  if (v.value !== undefined) return v.value;
  if (v.username !== undefined) return `${v.username}:${v.password ?? ''}`;
  if (v.fields)
    return Object.entries(v.fields)
      .map(([k, x]) => `${k}=${x}`)
      .join('\n');
  if (v.oauth) return `client ${v.oauth.clientId} · ${v.oauth.tokenUrl}`;
  return '';
}

export function SecretRow(props: {
  secret: SecretSummary;
  /** the user's role in the secret's vault (role "user" may use, not see or change) */
  role: string | undefined;
  relayUrl: string;
  onEdit(): void;
  /** open this secret's grants (docs/extension.md "Grants") */
  onGrants(): void;
  /** live grants: every visitor of those sites may use this secret */
  liveGrants?: number | undefined;
  onState(s: UiState): void;
}): JSX.Element {
  const s = props.secret;
  const [revealed, setRevealed] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const act = useAction(props.relayUrl);
  const userRole = props.role === 'user';

  const actions = userRole ? null : (
    <div class="row-actions">
      <Button
        variant="ghost"
        icon={revealed !== undefined ? 'eyeOff' : 'eye'}
        testid="reveal"
        title={revealed !== undefined ? 'Hide the value' : 'Reveal the value'}
        aria-label={revealed !== undefined ? `Hide ${s.name}` : `Reveal ${s.name}`}
        disabled={act.busy}
        onClick={() => {
          if (revealed !== undefined) return setRevealed(undefined);
          void act.run('Opening…', async () =>
            setRevealed(shownValue(await send('reveal', { vaultId: s.vaultId, itemId: s.itemId }))),
          );
        }}
      />
      <Button
        variant="ghost"
        icon="globe"
        testid="grants"
        title="Grants: let a site's visitors use it"
        aria-label={`Grants for ${s.name}`}
        onClick={props.onGrants}
      />
      <Button
        variant="ghost"
        icon="edit"
        testid="edit-secret"
        title="Edit"
        aria-label={`Edit ${s.name}`}
        onClick={props.onEdit}
      />
      <Button
        variant={confirming ? 'danger' : 'ghost'}
        icon="trash"
        testid="delete-secret"
        title="Delete"
        aria-label={confirming ? `Really delete ${s.name}?` : `Delete ${s.name}`}
        disabled={act.busy}
        onBlur={() => setConfirming(false)}
        onClick={() => {
          if (!confirming) return setConfirming(true);
          setConfirming(false);
          void act.run(`Deleting ${s.name}…`, async () =>
            props.onState(await send('delete', { vaultId: s.vaultId, itemId: s.itemId })),
          );
        }}
      >
        {confirming ? `Really delete?` : null}
      </Button>
    </div>
  );

  return (
    <div class="row secret" data-testid="secret-row" data-name={s.name} data-vault={s.vaultName}>
      <div class="row-head">
        <Icon name={s.type === 'basic' ? 'users' : 'key'} />
        <span class="name">{s.name}</span>
        <span class="tag">{s.type}</span>
        <span class="tag vault">{s.vaultName}</span>
        {props.liveGrants ? (
          <span
            class="tag grant"
            data-testid="grant-count"
            data-count={props.liveGrants}
            title="Live grants: every visitor of those sites may use this secret"
          >
            {props.liveGrants === 1 ? '1 grant' : `${props.liveGrants} grants`}
          </span>
        ) : null}
      </div>
      {s.conflict ? (
        <p class="warn small">Conflict copy: both versions were kept. Compare, then delete one.</p>
      ) : null}
      <p class="meta" title="Allowed hosts">
        <Icon name="globe" size={13} /> {s.allowedHosts.join(', ')}
      </p>
      <p class="meta" title="Sites allowed without asking">
        <Icon name="shield" size={13} />{' '}
        {s.allowedOrigins.length ? s.allowedOrigins.join(', ') : 'every site asks first'}
      </p>
      {s.needsReview ? (
        <p class="warn small" data-testid="needs-review">
          Needs review: this secret may be placed anywhere in a request (even a prompt) until you
          say where — Edit, then “May be placed in”.
        </p>
      ) : s.placement ? (
        <p class="meta" data-testid="secret-placement-shown">
          <Icon name="send" size={13} /> {s.placement.join(', ')}
        </p>
      ) : null}
      {s.description ? <p class="meta">{s.description}</p> : null}
      <div class="value-line">
        <div class="value" data-testid="secret-revealed">
          {revealed ?? '••••••••'}
        </div>
        {actions}
      </div>
      {userRole ? (
        <p class="muted small" data-testid="user-role-notice">
          {USER_ROLE_TEXT}
        </p>
      ) : null}
      <ErrorBox problem={act.problem} />
      <Progress text={act.progress} />
    </div>
  );
}
