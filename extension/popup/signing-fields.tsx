// The form fields of the secrets that sign and mint: one small form per type (never raw JSON,
// except a Google service-account file pasted as Google hands it out). docs/forward.md,
// "Signing and minting secrets", says what the relay does with each.
import type { ComponentChildren, JSX } from 'preact';
import { Field, invalidProps } from '../ui/parts.js';
import type { Problem } from '../ui/explain.js';
import type { SigningDraft, SigningType } from './signing-draft.js';

export function SigningFields(props: {
  type: SigningType;
  draft: SigningDraft;
  set<K extends keyof SigningDraft>(k: K, v: SigningDraft[K]): void;
  problem: Problem | null | undefined;
  /** a masked input with a show/hide toggle (the form's own) */
  secretInput(id: string, testid: string, value: string, on: (v: string) => void): JSX.Element;
  editing: boolean;
}): JSX.Element {
  const { draft: d, set, problem, secretInput } = props;
  const text = (
    id: string,
    key: keyof SigningDraft,
    label: ComponentChildren,
    opts: { hint?: ComponentChildren; placeholder?: string } = {},
  ) => (
    <Field id={id} label={label} hint={opts.hint} problem={problem}>
      <input
        {...invalidProps(id, problem)}
        data-testid={id}
        autocomplete="off"
        spellcheck={false}
        value={d[key] as string}
        placeholder={opts.placeholder ?? ''}
        onInput={(e) => set(key, e.currentTarget.value as never)}
      />
    </Field>
  );
  const select = <K extends keyof SigningDraft>(
    id: string,
    key: K,
    label: string,
    options: Array<[string, string]>,
  ) => (
    <Field id={id} label={label} problem={problem}>
      <select
        {...invalidProps(id, problem)}
        data-testid={id}
        value={d[key] as string}
        onChange={(e) => set(key, e.currentTarget.value as SigningDraft[K])}
      >
        {options.map(([v, l]) => (
          <option value={v} key={v}>
            {l}
          </option>
        ))}
      </select>
    </Field>
  );
  const pem = (id: string, key: 'privateKey' | 'appPrivateKey' | 'googleJson', label: string) => (
    <Field id={id} label={label} problem={problem}>
      <textarea
        {...invalidProps(id, problem)}
        class="mono masked"
        data-testid={id}
        rows={4}
        spellcheck={false}
        autocomplete="off"
        value={d[key]}
        placeholder={props.editing ? '(unchanged)' : ''}
        onInput={(e) => set(key, e.currentTarget.value)}
      />
    </Field>
  );
  const unchanged = props.editing ? '(unchanged)' : '';

  switch (props.type) {
    case 'sigv4':
      return (
        <fieldset class="group" data-testid="sigv4-form">
          <legend>AWS Signature V4 (the relay signs each request; no placeholder needed)</legend>
          {text('sigv4-access-key-id', 'accessKeyId', 'Access key id', { placeholder: unchanged })}
          <Field id="sigv4-secret" label="Secret access key" problem={problem}>
            {secretInput('sigv4-secret', 'sigv4-secret', d.secretAccessKey, (v) =>
              set('secretAccessKey', v),
            )}
          </Field>
          <Field id="sigv4-session-token" label="Session token (optional)" problem={problem}>
            {secretInput('sigv4-session-token', 'sigv4-session-token', d.sessionToken, (v) =>
              set('sessionToken', v),
            )}
          </Field>
          {text('sigv4-region', 'region', 'Region', { placeholder: 'us-east-1' })}
          {text('sigv4-service', 'service', 'Service', {
            placeholder: 's3',
            hint: 'The signing name: s3, bedrock, execute-api, lambda, ses…',
          })}
        </fieldset>
      );
    case 'hmac':
      return (
        <fieldset class="group" data-testid="hmac-form">
          <legend>HMAC signature (the relay signs each request as sent)</legend>
          <Field id="hmac-key" label="Signing key" problem={problem}>
            {secretInput('hmac-key', 'hmac-key', d.hmacKey, (v) => set('hmacKey', v))}
          </Field>
          {select('hmac-key-encoding', 'keyEncoding', 'Key is', [
            ['utf8', 'text'],
            ['hex', 'hex'],
            ['base64', 'base64'],
          ])}
          {select('hmac-algorithm', 'algorithm', 'Algorithm', [
            ['sha256', 'HMAC-SHA256'],
            ['sha512', 'HMAC-SHA512'],
          ])}
          {text('hmac-message', 'message', 'Signed message', {
            hint: (
              <>
                From <code>{'{method} {path} {query} {body} {timestamp} {timestampMs}'}</code>{' '}
                <code>{'{nonce} {host}'}</code>, e.g. <code>{'{query}{body}'}</code>
              </>
            ),
          })}
          {select('hmac-encoding', 'encoding', 'Signature as', [
            ['hex', 'hex'],
            ['base64', 'base64'],
          ])}
          {select('hmac-signature-in', 'signatureIn', 'Signature goes in', [
            ['header', 'a header'],
            ['query', 'a query parameter (appended last)'],
          ])}
          {text('hmac-signature-name', 'signatureName', 'Its name', {
            placeholder: d.signatureIn === 'header' ? 'X-Signature' : 'signature',
          })}
          {select('hmac-timestamp-in', 'timestampIn', 'Timestamp goes in', [
            ['none', 'nowhere (only in the message)'],
            ['header', 'a header'],
            ['query', 'a query parameter'],
          ])}
          {d.timestampIn !== 'none' ? (
            <>
              {text('hmac-timestamp-name', 'timestampName', 'Its name', {
                placeholder: d.timestampIn === 'header' ? 'X-Timestamp' : 'timestamp',
              })}
              {select('hmac-timestamp-unit', 'timestampUnit', 'In', [
                ['s', 'seconds'],
                ['ms', 'milliseconds'],
              ])}
            </>
          ) : null}
          <Field
            id="hmac-fields"
            label="Other fields (optional)"
            hint={
              <>
                <code>key=value</code> lines such as an API key id; pages use{' '}
                <code>$(secret:NAME.key)</code>.
              </>
            }
            problem={problem}
          >
            <textarea
              {...invalidProps('hmac-fields', problem)}
              class="mono masked"
              data-testid="hmac-fields"
              rows={2}
              spellcheck={false}
              autocomplete="off"
              value={d.hmacFields}
              placeholder={props.editing ? '(unchanged)' : 'apiKey=…'}
              onInput={(e) => set('hmacFields', e.currentTarget.value)}
            />
          </Field>
        </fieldset>
      );
    case 'jwt':
      return (
        <fieldset class="group" data-testid="jwt-form">
          <legend>JWT bearer (the relay mints an access token: $CLIENT_SECRET)</legend>
          {select('jwt-mode', 'jwtMode', 'From', [
            ['google', 'a Google service-account key file'],
            ['key', 'a private key and claims'],
          ])}
          {d.jwtMode === 'google' ? (
            pem('jwt-google-json', 'googleJson', 'Service-account key file (JSON, pasted as is)')
          ) : (
            <>
              {pem('jwt-private-key', 'privateKey', 'Private key (PEM)')}
              {select('jwt-algorithm', 'jwtAlgorithm', 'Algorithm', [
                ['RS256', 'RS256'],
                ['ES256', 'ES256'],
                ['EdDSA', 'EdDSA'],
              ])}
              {text('jwt-issuer', 'issuer', 'Issuer (iss)')}
              {text('jwt-audience', 'audience', 'Audience (aud)')}
              {text('jwt-token-url', 'tokenUrl', 'Token URL', {
                placeholder: 'https://auth.example.com/oauth/token',
              })}
            </>
          )}
          {text('jwt-subject', 'subject', 'Subject (optional)', {
            hint: 'sub: the user to act as, where the API allows it.',
          })}
          {text('jwt-scope', 'scope', 'Scope (optional)', {
            placeholder:
              d.jwtMode === 'google' ? 'https://www.googleapis.com/auth/cloud-platform' : '',
          })}
        </fieldset>
      );
    case 'github-app':
      return (
        <fieldset class="group" data-testid="github-app-form">
          <legend>GitHub App (the relay mints an installation token: $CLIENT_SECRET)</legend>
          {text('gh-app-id', 'appId', 'App id', { placeholder: unchanged })}
          {text('gh-installation-id', 'installationId', 'Installation id', {
            placeholder: unchanged,
          })}
          {pem('gh-private-key', 'appPrivateKey', 'Private key (.pem)')}
          {text('gh-base-url', 'baseUrl', 'API base URL (optional)', {
            placeholder: 'https://api.github.com',
            hint: (
              <>
                Pages write <code>Authorization: token $CLIENT_SECRET</code>.
              </>
            ),
          })}
        </fieldset>
      );
  }
}
