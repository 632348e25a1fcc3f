// Wire schemas shared by the relay, the SDK, the CLI and the extension.
export * from './common.js';
export * from './auth.js';
export * from './vault.js';
export * from './secret.js';
export * from './forward.js';
export * from './team.js';
export * from './secret-configs.js';
export * from './grant.js';
