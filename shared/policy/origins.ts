// Allowed-origin entries (the sites that may use a secret without asking): `scheme://host[:port]`
// with scheme http or https, nothing else. The popup and the CLI refuse anything else on input, so
// a typo such as `localhost:5173` (no scheme) is caught where it is typed, not later on the page.

/** `https://App.example/` → `https://app.example`; null for anything that is not an origin. */
export function parseAllowedOrigin(entry: string): string | null {
  if (typeof entry !== 'string') return null;
  const text = entry.trim();
  if (text === '' || text.length > 300 || /[\s\\@*]/.test(text)) return null;
  const m = /^(https?):\/\/([^/?#]+)\/?$/i.exec(text);
  if (!m) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.origin === 'null' ? null : url.origin;
}

export function isValidAllowedOrigin(entry: string): boolean {
  return parseAllowedOrigin(entry) !== null;
}
