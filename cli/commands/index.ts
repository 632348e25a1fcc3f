// The CLI's command table. Each entry loads its module only when run, so that `keyhole --help`
// or `keyhole logout` never pays for libsodium, zod or the relay. Add commands here.
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'relay',
    summary: 'start the relay (what `npm start` runs)',
    load: async () => (await import('./relay.js')).relay,
  },
  {
    name: 'signup',
    summary: 'create an account on a relay',
    load: async () => (await import('./signup.js')).signup,
  },
  {
    name: 'login',
    summary: 'log in and sync your vaults',
    load: async () => (await import('./login.js')).login,
  },
  {
    name: 'logout',
    summary: 'end the session and forget the local cache',
    load: async () => (await import('./logout.js')).logout,
  },
  {
    name: 'secret',
    summary: 'add, update, list and remove secrets',
    load: async () => (await import('./secret.js')).secret,
  },
  {
    name: 'request',
    summary: 'call an API with a secret, via the relay (curl-like)',
    load: async () => (await import('./request.js')).request,
  },
  {
    name: 'serve',
    summary: 'a local endpoint for scripts and agents (127.0.0.1, per-run token)',
    load: async () => (await import('./serve.js')).serve,
  },
  {
    name: 'run',
    summary: 'run a command with SDK base URLs pointing at a private endpoint',
    load: async () => (await import('./run.js')).run,
  },
  {
    name: 'mcp',
    summary: 'an MCP server (stdio) for AI agents: list_secrets, request',
    load: async () => (await import('./mcp.js')).mcp,
  },
  {
    name: 'team',
    summary: 'team vaults: create, invite, remove, members',
    load: async () => (await import('./team.js')).team,
  },
  {
    name: 'grant',
    summary: "let every visitor of your site's origins use a secret (create, list, revoke)",
    load: async () => (await import('./grant.js')).grant,
  },
  {
    name: 'audit',
    summary: "a team's log of forwarded requests",
    load: async () => (await import('./audit.js')).audit,
  },
];
