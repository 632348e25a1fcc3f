// The destination check both sides run: url shape, no placeholder in scheme/host/port, allowed hosts.
import { KeyholeError } from '../errors.js';
import { isDestinationAllowed } from './allowed-hosts.js';
import { hasPlaceholder } from './placeholders.js';
import { parseDestination, splitAuthority, type Destination } from './url.js';

/** A secret must never choose where it goes: placeholders are refused before the path. */
export function assertNoPlaceholderInAuthority(urlTemplate: string): void {
  const { authority } = splitAuthority(urlTemplate);
  if (hasPlaceholder(authority) || authority.includes('$(')) {
    throw new KeyholeError(
      'HOST_NOT_ALLOWED',
      'Placeholders may appear only in the url path and query.',
    );
  }
}

/**
 * Parses `url` and checks it against `allowedHosts`; throws HOST_NOT_ALLOWED (or INVALID_REQUEST
 * for a non-url). Works on templates too: placeholders in the path/query are ordinary characters.
 */
export function checkDestination(url: string, allowedHosts: readonly string[]): Destination {
  assertNoPlaceholderInAuthority(url);
  const dest = parseDestination(url);
  if (!isDestinationAllowed(dest, allowedHosts)) {
    throw new KeyholeError('HOST_NOT_ALLOWED');
  }
  return dest;
}
