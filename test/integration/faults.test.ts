// Faults a relay must survive (the quick versions; `npm run test:reliability` runs more, plus a
// PostgreSQL restart): upstream resets and half-sent answers, DNS failure, SQLite on a full disk,
// kill -9 during writes. Each asserts a clear error code, a relay still serving, no data lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupForwarding, type ForwardingSetup } from '../support/forwarding.js';
import { checkSqliteDiskFull } from '../reliability/scenarios/disk-full.js';
import { checkKill9 } from '../reliability/scenarios/kill9.js';
import {
  UNRESOLVABLE_HOST,
  checkDnsFailure,
  checkUpstreamFaults,
} from '../reliability/scenarios/upstream-faults.js';

describe('faults', () => {
  let setup: ForwardingSetup;

  beforeAll(async () => {
    setup = await setupForwarding({ extraHosts: [UNRESOLVABLE_HOST] });
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('upstream resets and half-sent answers give a clear error (or a visibly cut body), never the secret', async () => {
    const checks = await checkUpstreamFaults(setup);
    expect(checks.length).toBe(4);
    for (const c of checks) expect(c.pass, `${c.name}: ${c.detail}`).toBe(true);
  });

  it('an unresolvable destination gives UPSTREAM_UNREACHABLE and the relay keeps serving', async () => {
    const c = await checkDnsFailure(setup);
    expect(c.pass, c.detail).toBe(true);
  });

  it('SQLite on a full disk: STORE_UNAVAILABLE, recovery once space is freed, integrity ok, nothing lost', async () => {
    const checks = await checkSqliteDiskFull({ sizeKiB: 1024 });
    for (const c of checks) {
      expect(c.pass, `${c.name}: ${c.detail}`).toBe(true);
      expect(c.dataLost ?? 0).toBe(0);
    }
  });

  it('kill -9 during writes loses no acknowledged write (SQLite)', async () => {
    const c = await checkKill9({ iterations: 1, writers: 4 });
    expect(c.pass, c.detail).toBe(true);
    expect(c.dataLost).toBe(0);
  });
});
