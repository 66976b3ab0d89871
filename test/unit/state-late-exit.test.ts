import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * The monitor writes `exit`, then ends. A reader that read `exit` (not there yet)
 * and then found the monitor gone read the container as lost, exit -1 (CI: `wait` of
 * a job the OOM killer had ended printed -1). Simulated: the interleaving is made
 * by hand: the first read of `exit` finds none, and the monitor is gone at the
 * check that follows, as when it wrote the file and ended in between.
 */
const reads = vi.hoisted(() => ({ exit: 0 }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const readFileSync = ((path: string, ...rest: unknown[]) => {
    if (String(path).endsWith('/exit') && reads.exit++ === 0) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return (fs.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readFileSync;
  return { ...fs, readFileSync, default: { ...fs, readFileSync } };
});
vi.mock('../../src/util/process-identity.js', async (original) => ({ ...(await original<object>()), isRunning: () => false }));

const { containerState } = await import('../../src/container/state.js');

const root = mkdtempSync(join(tmpdir(), 'late-exit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('containerState when the monitor ends between two reads (simulation)', () => {
  it('reads `exit` again once the monitor is known gone: the exit status, not a lost container', () => {
    const id = 'd'.repeat(64);
    const dir = join(root, 'containers', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'monitor'), JSON.stringify({ monitor: '4242.1234.0f0f0f0f-0000-0000-0000-000000000000', startedAt: '2026-12-02T00:00:00Z' }));
    writeFileSync(join(dir, 'exit'), JSON.stringify({ exitCode: 137, finishedAt: '2026-12-02T00:00:01Z', oomKilled: true }));
    const store = { root, paths: { root, containers: join(root, 'containers') } } as unknown as Parameters<typeof containerState>[0];
    const record = { id, plan: {} } as unknown as Parameters<typeof containerState>[1];
    const state = containerState(store, record);
    expect(reads.exit).toBe(2);
    expect(state).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true, lost: false });
  });
});
