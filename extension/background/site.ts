// The "site" of an origin (its registrable domain, approximately) for the approval queue's
// fairness and re-prompt limits: fresh subdomains of one domain count as one site.
//
// Without the Public Suffix List (a 200 KB dependency that must be kept current), the site is:
// - an IPv4 address, `[::1]`, `localhost` or a one-label host: the host itself;
// - any other IPv6 address: its /48 network (`[2001:db8:1::/48]`) — one host gets 2^64 addresses
//   for free, and a fresh address per prompt must not be a fresh site;
// - otherwise the last two labels (`a.b.example.com` → `example.com`), or the last three when the
//   last two are a public suffix in their own right: a two-letter country code under a generic
//   second level (`co.uk`, `com.au`, `ac.jp`…) or one of a few shared hosting suffixes whose
//   tenants are different people (`github.io`, `vercel.app`…).
// Scheme and port are ignored. The error this leaves is on the safe side for the limits: an
// unlisted multi-level public suffix merges its tenants into one site (they share one quota and
// one quiet period), it never splits one attacker's subdomains into many sites.
const SECOND_LEVELS = new Set([
  'ac',
  'co',
  'com',
  'edu',
  'gob',
  'gov',
  'go',
  'govt',
  'info',
  'ltd',
  'me',
  'mil',
  'ne',
  'net',
  'nhs',
  'nic',
  'nom',
  'or',
  'org',
  'plc',
  'sch',
]);

const SHARED_HOSTING = new Set([
  'github.io',
  'gitlab.io',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'web.app',
  'firebaseapp.com',
  'appspot.com',
  'herokuapp.com',
  'azurewebsites.net',
  'cloudfront.net',
  'blogspot.com',
  'glitch.me',
  'onrender.com',
  'fly.dev',
  'ngrok.io',
  'ngrok-free.app',
  'repl.co',
  'wixsite.com',
]);

const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The site of an http(s) origin; the input itself when it cannot be parsed. */
export function siteOf(origin: string): string {
  let host: string;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    return origin;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('[')) return ipv6Site(host);
  if (IPV4_RE.test(host)) return host;
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const lastTwo = labels.slice(-2).join('.');
  const tld = labels[labels.length - 1]!;
  const second = labels[labels.length - 2]!;
  const suffixIsPublic =
    SHARED_HOSTING.has(lastTwo) || (tld.length === 2 && SECOND_LEVELS.has(second));
  return suffixIsPublic ? labels.slice(-3).join('.') : lastTwo;
}

/** `[2001:db8:1:2::7]` → `[2001:db8:1::/48]`; loopback stays itself. Input as URL serializes it. */
function ipv6Site(bracketed: string): string {
  const inner = bracketed.slice(1, -1);
  if (inner === '::1') return bracketed;
  const [head = '', tail] = inner.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // The URL parser already wrote an embedded IPv4 part as two hextets.
  const full = [
    ...left,
    ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  const net = full.slice(0, 3).map((h) => (parseInt(h, 16) || 0).toString(16));
  return `[${net.join(':')}::/48]`;
}
