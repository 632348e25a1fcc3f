// Destination policy shared by the extension (checked before sending) and the relay (checked again
// against the allowed hosts inside the decrypted item). Pure functions: no node:*, no DOM.
export * from './url.js';
export * from './allowed-hosts.js';
export * from './placeholders.js';
export * from './check.js';
export * from './secret-fields.js';
export * from './origins.js';
export * from './input-hints.js';
export * from './template-fields.js';
export * from './secret-name.js';
export * from './traverse.js';
export * from './body-fields.js';
export * from './placement.js';
