// Writes dist/web.js (the package export `keyhole/web`): the same bundle the relay serves at
// GET /v1/web.js (server/routes/web/index.ts). Run: node --import tsx scripts/build-web.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWebSdk } from '../server/routes/web/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist/web.js'), await bundleWebSdk(false));
console.log('wrote dist/web.js');
