// burrow as a library, the way the GitHub Action uses it: the built package
// (build/index.js, the "exports" of package.json) imported into this process, no CLI
// and no shell. The types are the source's; the code run is the build's.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';

type Library = typeof import('../../src/index.js');

const LIBRARY = new URL('../../build/index.js', import.meta.url).href;
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
let lib: Library;
let box: Sandbox;
let store: InstanceType<Library['Store']>;

beforeAll(async () => {
  box = sandbox();
  // The library reads its config and credentials where the CLI does: this sandbox's.
  Object.assign(process.env, box.env);
  lib = (await import(LIBRARY)) as Library;
  store = new lib.Store(box.root);
});

afterAll(async () => {
  if (lib === undefined) return;
  for (const { record } of lib.listContainers(store, { all: true })) await lib.removeContainer(store, record.id, true).catch(() => undefined);
  rmSync(box.dir, { recursive: true, force: true });
});

describe('the library without the CLI', () => {
  it('create, start, logs (tail, since, follow), ps filters, stop, restart, rm', async () => {
    const notes: string[] = [];
    const record = await lib.createContainer(store, lib.containerOptions(busybox(), {
      name: 'lib-job',
      labels: { job: 'unit' },
      command: ['sh', '-c', 'echo one; echo two >&2; echo three; trap "exit 0" TERM; while true; do sleep 0.1; done'],
      onNote: (note) => notes.push(note),
    }));
    expect(record.name).toBe('lib-job');
    // A created container is listed with all, and by a status filter (which implies all).
    expect(lib.listContainers(store).map(({ record: listed }) => listed.id)).not.toContain(record.id);
    expect(lib.listContainers(store, { filters: ['status=created'] }).map(({ record: listed }) => listed.id)).toEqual([record.id]);
    expect(lib.statusText(lib.containerState(store, record))).toBe('Created');

    // Detached: resolves to undefined once the job runs.
    expect(await lib.startContainer(store, 'lib-job')).toBeUndefined();
    await until(async () => (await lib.readContainerLogs(store, 'lib-job')).length === 3, 15_000, 'three log lines');
    const entries = await lib.readContainerLogs(store, 'lib-job');
    // Two pipes: the order within a stream is kept, not the order between them.
    expect(entries.filter((entry) => entry.stream === 'stdout').map((entry) => entry.log)).toEqual(['one\n', 'three\n']);
    expect(entries.filter((entry) => entry.stream === 'stderr').map((entry) => entry.log)).toEqual(['two\n']);
    expect(await lib.readContainerLogs(store, 'lib-job', { tail: 1 })).toEqual(entries.slice(2));
    expect(await lib.readContainerLogs(store, 'lib-job', { since: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await lib.readContainerLogs(store, 'lib-job', { until: '1970-01-02T00:00:00Z' })).toEqual([]);
    expect((await lib.readContainerLogs(store, 'lib-job', { since: '10m' })).length).toBe(3);

    // Filters as objects or as the CLI spells them; every one must match.
    expect(lib.listContainers(store, { filters: [{ key: 'label', value: 'job=unit' }, 'name=lib-'] }).map(({ state }) => state.status)).toEqual(['running']);
    expect(lib.listContainers(store, { filters: ['label=job=other'] })).toEqual([]);
    expect(lib.statusText(lib.containerState(store, record))).toMatch(/^Up /);

    // Follow: hands over what is there, then returns once the container stops.
    const followed: string[] = [];
    const following = lib.containerLogs(store, record.id, { follow: true, tail: 0 }, (more) => followed.push(...more.map((entry) => entry.log)));
    await lib.stopContainer(store, 'lib-job', 5);
    await following;
    expect(followed).toEqual([]);
    expect(lib.containerState(store, record).status).toBe('exited');
    expect(await lib.waitContainer(store, 'lib-job')).toBe(0);

    // Restart: stop, then start again; the log keeps the first run's lines and gets the second's.
    await lib.restartContainer(store, 'lib-job', { timeoutSeconds: 5 });
    expect(lib.containerState(store, record).status).toBe('running');
    await until(async () => (await lib.readContainerLogs(store, 'lib-job')).length === 6, 15_000, 'the second run\'s lines');

    await lib.removeContainer(store, 'lib-job', true);
    expect(lib.listContainers(store, { all: true })).toEqual([]);
  });

  it('start with attach: the output, each stream to its own, and the exit status', async () => {
    await lib.createContainer(store, lib.containerOptions(busybox(), { name: 'lib-attached', command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }));
    const output: Array<[string, string]> = [];
    const code = await lib.startContainer(store, 'lib-attached', { attach: true, onOutput: (entry) => output.push([entry.stream, entry.log]) });
    expect(code).toBe(3);
    expect(output.sort()).toEqual([['stderr', 'err\n'], ['stdout', 'out\n']]);
    const [summary] = lib.listContainers(store, { all: true, filters: ['name=lib-attached'] });
    expect(summary?.state.exitCode).toBe(3);
    expect(lib.statusText(summary!.state)).toMatch(/^Exited \(3\) /);
    expect(await lib.pruneContainers(store)).toHaveLength(1);
  });

  it('bad input is one BurrowError naming the value, before anything is read', async () => {
    expect(() => lib.parseContainerFilter('colour=red')).toThrow(/unknown filter "colour"/);
    expect(() => lib.listContainers(store, { filters: ['colour=red'] })).toThrow(lib.BurrowError);
    await expect(lib.readContainerLogs(store, 'no-such-container', { since: 'yesterday-ish' })).rejects.toThrow(/invalid --since "yesterday-ish"/);
    await expect(lib.readContainerLogs(store, 'no-such-container', { tail: -1 })).rejects.toThrow(/invalid --tail/);
    await expect(lib.readContainerLogs(store, 'no-such-container')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => lib.parseStopTimeout('soon')).toThrow(/invalid --time "soon"/);
  });
});
