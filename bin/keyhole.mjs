#!/usr/bin/env node
// The `keyhole` command: loads the TypeScript CLI through tsx's ESM loader (cli/main.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
