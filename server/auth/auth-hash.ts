// The relay's verifier for client auth keys: argon2id (OWASP parameters) via @node-rs/argon2,
// with a bounded number running at once so a login flood cannot exhaust memory or CPU.
import { hash, verify } from '@node-rs/argon2';
import { KeyholeError } from '../../shared/errors.js';
import type { Argon2Params } from '../config.js';
import { Semaphore } from './semaphore.js';

export class AuthHasher {
  private readonly slots: Semaphore;
  private dummy: Promise<string> | undefined;

  constructor(
    private readonly params: Argon2Params,
    concurrency: number,
    private readonly queueTimeoutMs: number,
  ) {
    this.slots = new Semaphore(concurrency);
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (!(await this.slots.acquire(this.queueTimeoutMs))) {
      throw new KeyholeError('RATE_LIMITED', 'The relay is busy; try again shortly.', {
        retryAfter: 1,
      });
    }
    try {
      return await work();
    } finally {
      this.slots.release();
    }
  }

  hash(authKey: string): Promise<string> {
    return this.withSlot(() => hash(authKey, { ...this.params, outputLen: 32 }));
  }

  /** Checks the key against the stored hash; with no hash (unknown email) it burns the same time. */
  verify(storedHash: string | undefined, authKey: string): Promise<boolean> {
    return this.withSlot(async () => {
      if (storedHash === undefined) {
        await verify(await this.dummyHash(), authKey).catch(() => false);
        return false;
      }
      try {
        return await verify(storedHash, authKey);
      } catch {
        return false;
      }
    });
  }

  /** A hash of a random value with the same parameters, made once. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hash(crypto.getRandomValues(new Uint8Array(32)), {
      ...this.params,
      outputLen: 32,
    });
    return this.dummy;
  }
}
