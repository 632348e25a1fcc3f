// CLI state under KEYHOLE_HOME (default ~/.config/keyhole): config.json, session (token),
// keys.json (the encrypted key bundle) and vault-cache.json (ciphertext only). Directory 0700,
// files 0600, every write atomic (temp file + rename).
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KeyholeError } from '../shared/errors.js';

export interface CliConfig {
  relayUrl: string;
  email: string;
  accountId: string;
}

export interface StoredSession {
  token: string;
  expiresAt: number;
}

export const FILES = {
  config: 'config.json',
  session: 'session',
  keys: 'keys.json',
  cache: 'vault-cache.json',
} as const;

export function homeDir(): string {
  const fromEnv = process.env.KEYHOLE_HOME;
  return fromEnv && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.config', 'keyhole');
}

function path(file: string): string {
  return join(homeDir(), file);
}

function ensureDir(): void {
  const dir = homeDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export function writeFileAtomic(file: string, data: string): void {
  ensureDir();
  const target = path(file);
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path(file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null; // a damaged file is treated as missing: the relay holds the truth
  }
}

export function readConfig(): CliConfig | null {
  const data = readJson(FILES.config) as Partial<CliConfig> | null;
  if (
    !data ||
    typeof data.relayUrl !== 'string' ||
    typeof data.email !== 'string' ||
    typeof data.accountId !== 'string'
  ) {
    return null;
  }
  return { relayUrl: data.relayUrl, email: data.email, accountId: data.accountId };
}

export function requireConfig(): CliConfig {
  const config = readConfig();
  if (!config) throw new KeyholeError('NOT_CONFIGURED', `No account is set up in ${homeDir()}.`);
  return config;
}

export function writeConfig(config: CliConfig): void {
  writeFileAtomic(FILES.config, `${JSON.stringify(config, null, 2)}\n`);
}

export function readSession(): StoredSession | null {
  const data = readJson(FILES.session) as Partial<StoredSession> | null;
  if (!data || typeof data.token !== 'string') return null;
  return { token: data.token, expiresAt: typeof data.expiresAt === 'number' ? data.expiresAt : 0 };
}

export function writeSession(session: StoredSession): void {
  writeFileAtomic(FILES.session, JSON.stringify(session));
}

export function readKeys(): unknown {
  return readJson(FILES.keys);
}

export function writeKeys(keys: unknown): void {
  writeFileAtomic(FILES.keys, JSON.stringify(keys));
}

export function readCache(): unknown {
  return readJson(FILES.cache);
}

export function writeCache(cache: unknown): void {
  writeFileAtomic(FILES.cache, JSON.stringify(cache));
}

/** Logout: the session, the key bundle and the cache go; config.json stays (relay URL, email). */
export function clearSessionState(): void {
  for (const file of [FILES.session, FILES.keys, FILES.cache]) rmSync(path(file), { force: true });
}
