import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summary } from '@actions/core';
import { writeSummary } from '../../src/action/summary.js';

/*
 * The Action's job summary as the runner reads it: the Markdown/HTML that
 * @actions/core appends to the GITHUB_STEP_SUMMARY file.
 */

// One file for the whole run: @actions/core keeps the path it first found.
const file = join(mkdtempSync(join(tmpdir(), 'burrow-summary-')), 'summary.md');
const saved = process.env.GITHUB_STEP_SUMMARY;
beforeAll(() => { process.env.GITHUB_STEP_SUMMARY = file; });
afterAll(() => {
  if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  else process.env.GITHUB_STEP_SUMMARY = saved;
});

async function written(data: Parameters<typeof writeSummary>[0]): Promise<string> {
  writeFileSync(file, '');
  summary.emptyBuffer();
  await writeSummary(data);
  return readFileSync(file, 'utf8');
}

const base = { image: 'busybox:latest', digest: 'sha256:abc', durationMs: 1500, steps: [{ name: 'tests', exitCode: 0, durationMs: 1000, outcome: 'success' as const }, { name: 'lint', exitCode: 0, durationMs: 0, outcome: 'skipped' as const }] };

describe('the job summary', () => {
  it('names a service that exited during the steps: its container, exit code and last log lines (as text)', async () => {
    const text = await written({ ...base, exitCode: 125, serviceExits: [{ service: 'db', container: 'ci-1a2b-db-1', exitCode: 4, lastLogLines: 'db-up <b>going down</b>' }] });
    expect(text).toContain('failed (exit code 125)');
    expect(text).toMatch(/<td>tests<\/td><td>✅ success<\/td>/);
    expect(text).toContain('service exited during the steps');
    expect(text).toContain('<td>db</td><td>ci-1a2b-db-1</td><td>4</td><td><code>db-up &lt;b&gt;going down&lt;/b&gt;</code></td>');
  });

  it('has no such table when every service stayed up', async () => {
    const text = await written({ ...base, exitCode: 0 });
    expect(text).toContain('passed');
    expect(text).not.toContain('service exited');
  });
});
