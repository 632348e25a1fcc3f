// Placement: where a secret's value may be put in a request (`header:NAME`, `query:NAME`,
// `body:PATH`, `url`), stored inside the authenticated item and checked by the extension and again
// by the relay before anything is sent (docs/forward.md, "Placement").
import { KeyholeError } from '../errors.js';
import type { SecretPayload } from '../protocol/secret.js';
import type { PlaceholderSite, PlaceholderUse } from './placeholders.js';
import { resolveRef } from './placeholders.js';

/** `header:` + an HTTP token (RFC 9110 §5.6.2). */
const HEADER_RE = /^header:[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const QUERY_RE = /^query:[^&=#\s]{1,256}$/;
/** Dot path: non-empty segments without dots or spaces. */
const BODY_RE = /^body:[^.\s]{1,128}(\.[^.\s]{1,128}){0,31}$/;

export const MAX_PLACEMENTS = 20;

/** True for one well-formed placement entry. */
export function isValidPlacement(entry: string): boolean {
  return (
    typeof entry === 'string' &&
    (entry === 'url' || HEADER_RE.test(entry) || QUERY_RE.test(entry) || BODY_RE.test(entry))
  );
}

/** The placement a new secret of this type gets when its owner lists none (null: must list). */
export function defaultPlacement(type: string): string[] | null {
  switch (type) {
    case 'bearer':
    case 'basic':
    case 'oauth':
    case 'jwt':
    case 'github-app':
      return ['header:Authorization'];
    default:
      return null; // plain, template (and the signing types, which place nothing): owner lists
  }
}

/**
 * True when `site` is a place the entries allow. A secret saved before placement existed (no
 * list) is legacy: allowed anywhere as before, and marked for review (needsPlacementReview).
 */
export function placementAllows(entries: readonly string[] | undefined, site: PlaceholderSite) {
  if (entries === undefined) return true;
  for (const entry of entries) {
    if (!isValidPlacement(entry)) continue; // fails closed
    if (entry === 'url') {
      if (site.part === 'url') return true;
      continue;
    }
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon);
    const what = entry.slice(colon + 1);
    if (kind === 'header' && site.part === 'header' && site.name === what.toLowerCase())
      return true;
    if (kind === 'query' && site.part === 'url' && site.query === what) return true;
    if (kind === 'body' && site.part === 'body' && site.path === what) return true;
  }
  return false;
}

/**
 * A secret whose owner has not said where it may go yet. sigv4 substitutes nothing (the relay
 * signs), so it has nothing to review.
 */
export function needsPlacementReview(p: Pick<SecretPayload, 'placement' | 'type'>): boolean {
  return p.placement === undefined && p.type !== 'sigv4';
}

/**
 * PLACEMENT_NOT_ALLOWED unless every placeholder stands where its secret allows. `names` are the
 * request's secret names (the first is $CLIENT_SECRET); `placementOf(name)` that secret's list.
 */
export function assertPlacements(
  uses: readonly PlaceholderUse[],
  names: readonly string[],
  placementOf: (name: string) => readonly string[] | undefined,
): void {
  for (const use of uses) {
    const name = use.ref === undefined ? names[0] : resolveRef(use.ref, names)?.name;
    if (name === undefined) continue; // unresolvable: SECRET_NOT_FOUND elsewhere
    if (!placementAllows(placementOf(name), use.site)) {
      throw new KeyholeError(
        'PLACEMENT_NOT_ALLOWED',
        `A placeholder stands where its secret may not be placed (${describeSite(use.site)}).`,
      );
    }
  }
}

/** For messages: the kind of place only (names come from the page and are not echoed). */
export function describeSite(site: PlaceholderSite): string {
  if (site.part === 'header') return 'a header';
  if (site.part === 'url') return site.query === undefined ? 'the url' : 'a query parameter';
  return site.path === null ? 'body text or a key' : 'a body field';
}
