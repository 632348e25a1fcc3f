// The client SDK used by the extension's background and by the CLI: relay calls, account keys,
// the vault model with sync and merge, and request building.
export * from './relay-client.js';
export * from './relay-errors.js';
export * from './forward-response.js';
export * from './account.js';
export * from './vault-store.js';
export * from './merge.js';
export * from './sync.js';
export * from './secrets.js';
export * from './request.js';
export * from './grants.js';
export * from './decoded-scrub.js';
