// Why the vault locked, for the lock screen: kept in storage.session, so after a browser restart
// there is none — and that absence is the reason ("the browser restarted").
import type { LockReason } from '../ui/protocol.js';
import { getSession, removeSession, setSession } from './storage.js';

const KEY = 'keyhole:lock-reason';

export async function recordLock(reason: LockReason): Promise<void> {
  await setSession(KEY, reason);
}

export async function clearLockReason(): Promise<void> {
  await removeSession(KEY);
}

export async function lockReason(): Promise<LockReason> {
  return (await getSession<LockReason>(KEY)) ?? { reason: 'restart' };
}
