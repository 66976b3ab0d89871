import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';

/**
 * Issue 13, "Concurrency, measured", the short version: bench/soak.mjs with 4
 * workers for 15 s, and at least 40 commands however loaded the machine (pull,
 * run, exec, start, stop, rm, rmi, system prune on shared containers and images,
 * as this unprivileged user). No error other than the documented one-line
 * refusals, `system check` passes afterwards, and nothing of a removed container
 * is left: process, mount, cgroup or network helper. The long run's figures are
 * in BENCHMARKS.md ("Concurrency soak").
 */
const SOAK = fileURLToPath(new URL('../../bench/soak.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'burrow-soak-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Summary {
  operations: number;
  done: number;
  refused: number;
  errors: number;
  refusals: Record<string, number>;
  errorSamples: Array<{ command: string; why: string; stderr: string }>;
  cleanup: string;
  check: { ok: boolean; output: string };
  leaks: string[];
}

describe('concurrency soak (short)', () => {
  it('4 workers for 15 s: no error but documented refusals, a clean system check, nothing left behind', async () => {
    const json = join(work, 'summary.json');
    const result = await execa(process.execPath, [SOAK, '--registry', bed().registries.anon, '--procs', '4', '--seconds', '15', '--at-least', '40', '--json', json], { reject: false, timeout: 600_000 });
    console.log(result.stdout);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary;
    expect(summary.errorSamples).toEqual([]);
    expect(summary.errors).toBe(0);
    // Enough commands, however slow the machine (--at-least), and not refusals alone.
    expect(summary.operations).toBeGreaterThanOrEqual(40);
    expect(summary.done).toBeGreaterThan(0);
    expect(summary.cleanup).not.toMatch(/failed/);
    expect(summary.check.ok, summary.check.output).toBe(true);
    expect(summary.leaks).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);
  }, 700_000);
});
