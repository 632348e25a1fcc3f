// Runs the fast-check fuzz files (test/fuzz) with a larger budget and adds up the cases tried.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FuzzFigures {
  runsPerProperty: number;
  properties: number;
  cases: number;
  pass: boolean;
  failures: string;
}

export async function runFuzz(runsPerProperty: number): Promise<FuzzFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-fuzz-'));
  const countFile = join(dir, 'counts.jsonl');
  try {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit', 'test/fuzz'],
        {
          env: {
            ...process.env,
            KEYHOLE_FUZZ_RUNS: String(runsPerProperty),
            KEYHOLE_FUZZ_COUNT_FILE: countFile,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (c) => resolve({ code: c ?? 1, output }));
    });
    let cases = 0;
    let properties = 0;
    try {
      for (const line of readFileSync(countFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        cases += (JSON.parse(line) as { cases: number }).cases;
        properties += 1;
      }
    } catch {
      // no file: nothing ran
    }
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
    const failures = plain
      .split('\n')
      .filter((l) => /FAIL|✗|×|AssertionError|Error:/.test(l))
      .slice(0, 8)
      .join('\n');
    return { runsPerProperty, properties, cases, pass: code === 0 && cases > 0, failures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
