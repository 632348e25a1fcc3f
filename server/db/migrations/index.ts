// The static list of migrations, in order. Add a line per new migration file (no directory scans:
// the relay must run from a bundle or a read-only install too).
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_forward.js';
import * as m0003g from './0003_grants.js';
import * as m0004 from './0004_signed_state.js';

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_forward': m0002,
  '0003_grants': m0003g,
  '0004_signed_state': m0004,
};
