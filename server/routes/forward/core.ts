// The forward routes' lifecycle, one per app: the forwarder (built on first use, closed at
// shutdown), the hot statements and libsodium's readiness. The steps of one request:
// handler.ts.
import { initCrypto } from '../../../shared/crypto/index.js';
import { hotStatements, type HotStatements } from '../../db/hot-statements.js';
import type { AppDeps } from '../../deps.js';
import { createForwarder, type Forwarder } from '../../forward/forwarder.js';

/** One per app: the forwarder (built on first use), the prepared statements, crypto readiness. */
export class ForwardCore {
  readonly hot: HotStatements;
  readonly now: () => number;
  private built: Forwarder | undefined;
  private cryptoReady = false;
  private cryptoLoading: Promise<void> | undefined;

  constructor(
    readonly deps: AppDeps,
    forwarder?: Forwarder,
  ) {
    this.hot = hotStatements(deps.store);
    this.now = deps.now ?? Date.now;
    this.built = forwarder;
  }

  get forwarder(): Forwarder {
    return (this.built ??= createForwarder(this.deps));
  }

  /** Writes pending audit rows and closes the outbound connections (graceful shutdown). */
  async close(): Promise<void> {
    if (this.built) await this.built.close();
  }

  /** libsodium is loaded once; afterwards no await is spent on it. */
  ensureCrypto(): Promise<void> | undefined {
    if (this.cryptoReady) return undefined;
    this.cryptoLoading ??= initCrypto().then(() => {
      this.cryptoReady = true;
    });
    return this.cryptoLoading;
  }
}
