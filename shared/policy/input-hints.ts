// Hints for a refused allowed-host or allowed-origin entry, said the same way by the popup and the
// CLI: what is wrong and how to write it instead. Only the entry itself is ever echoed.

/** Why an allowed-host entry was refused, and the fix. */
export function hostHint(entry: string): string {
  const text = entry.trim();
  if (text === '') return 'an empty entry';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme && !/^https?$/i.test(scheme[1] ?? '')) {
    return `"${scheme[1]}://" is not a scheme Keyhole sends to: write https:// or http://`;
  }
  if (/@/.test(text)) return 'no user name or password in a host';
  if (/[?#]/.test(text)) return 'no query or fragment in a host';
  if (/\s/.test(text)) return 'one host per line, without spaces';
  if (!scheme && text.includes('/')) {
    return `a path needs the scheme written out: https://${text}`;
  }
  if (/(^|\/)\.\.?(\/|$)/.test(text)) return 'no . or .. segments in the path';
  return 'use host, host:port, *.host or http(s)://host[:port]/path-prefix';
}

/** What to tell someone whose entry was refused (no echo of anything but the entry itself). */
export function originHint(entry: string): string {
  const text = entry.trim();
  if (/^[^/:]+(:\d+)?$/.test(text)) {
    return `add the scheme: http://${text} or https://${text}`;
  }
  if (/^https?:\/\/[^/]+\/./i.test(text)) return 'an origin has no path: scheme://host[:port] only';
  return 'write it as scheme://host[:port], e.g. https://app.example.com';
}
