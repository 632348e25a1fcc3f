// Skapi form mode lives in shared/web/form.ts (the web SDK uses the same rules); re-exported here.
export * from '../../shared/web/form.js';
