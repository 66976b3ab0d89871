import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlaces } from '../../src/cgroup/hierarchy.js';
import { detect } from '../../src/cgroup/route.js';
import { BurrowError } from '../../src/errors.js';
import { cgroupDir, sources, v1Mount, v2Files, v2Mount } from './cgroup-sim.js';

const UID = 1001;
let base: string;
let savedRuntime: string | undefined;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-cgroute-'));
  savedRuntime = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = join(base, 'run');
  mkdirSync(join(base, 'run'));
});
afterEach(() => {
  if (savedRuntime === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = savedRuntime;
  rmSync(base, { recursive: true, force: true });
});

/** This machine's layout: hybrid, cpu and cpuacct apart, memory's own cgroup a per-machine directory. */
function hybrid(): { fs: string; src: ReturnType<typeof sources> } {
  const fs = join(base, 'fs');
  for (const name of ['cpu', 'cpuacct', 'cpuset', 'memory', 'freezer', 'blkio', 'pids', 'unified']) cgroupDir(join(fs, name), { 'cgroup.procs': '' });
  cgroupDir(join(fs, 'memory/process_api/f1da'), { 'cgroup.procs': '' });
  const src = sources(base, '9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n4:memory:/process_api/f1da\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n', [
    ...['cpu', 'cpuacct', 'cpuset', 'memory', 'freezer', 'blkio', 'pids'].map((name) => v1Mount(join(fs, name), name)),
    `/ ${join(fs, 'systemd')} rw - cgroup cgroup rw,xattr,name=systemd`,
    v2Mount(join(fs, 'unified')),
  ]);
  return { fs, src };
}

function pureV2(own: string): { fs: string; src: ReturnType<typeof sources> } {
  const fs = join(base, 'fs');
  cgroupDir(fs, { 'cgroup.procs': '', 'cgroup.controllers': 'cpuset cpu io memory pids\n' });
  return { fs, src: sources(base, `0::${own}\n`, [v2Mount(fs)]) };
}

describe('cgroup places (simulation)', () => {
  it('reads a hybrid host: each v1 hierarchy with its own cgroup, cgroup2 at unified, not pure', () => {
    const { fs, src } = hybrid();
    const places = readPlaces(src);
    expect(places.v2).toEqual({ mount: join(fs, 'unified'), own: join(fs, 'unified'), pure: false });
    expect(places.v1.memory).toEqual({ mount: join(fs, 'memory'), own: join(fs, 'memory/process_api/f1da') });
    expect(places.v1.cpu?.own).toBe(join(fs, 'cpu'));
    expect(places.v1.cpuacct?.own).toBe(join(fs, 'cpuacct'));
  });

  it('reads co-mounted cpu,cpuacct, escaped mount points and a mount whose root is not /', () => {
    const fs = join(base, 'a b');
    cgroupDir(join(fs, 'cpu,cpuacct'));
    const src = sources(base, '2:cpu,cpuacct:/job/x\n0::/ns/inner\n', [
      v1Mount(join(fs, 'cpu,cpuacct').replace(' ', '\\040'), 'cpu,cpuacct'),
      v2Mount(join(fs, 'v2').replace(' ', '\\040'), '/ns'),
    ]);
    const places = readPlaces(src);
    expect(places.v1.cpu?.own).toBe(join(fs, 'cpu,cpuacct/job/x'));
    expect(places.v1.cpuacct?.own).toBe(join(fs, 'cpu,cpuacct/job/x'));
    expect(places.v2).toEqual({ mount: join(fs, 'v2'), own: join(fs, 'v2/inner'), pure: false });
  });
});

describe('route detection order (simulation)', () => {
  it('route 1: a delegated v2 cgroup on a pure v2 host, with the controllers its parent gives and the freezer', () => {
    const { fs, src } = pureV2('/user.slice/job.scope');
    cgroupDir(join(fs, 'user.slice/job.scope'), v2Files('cpu memory pids'));
    const host = detect({ sources: src, uid: UID });
    expect(host.route).toBe('delegated-v2');
    expect(host.controllers).toEqual(['memory', 'pids', 'cpu', 'freezer']);
    expect(host.v2Parent).toBe(join(fs, 'user.slice/job.scope'));
  });

  it('route 1 again from the leaf an earlier burrow moved the job into: the parent is the delegated cgroup', () => {
    const { fs, src } = pureV2('/job.scope/burrow-leaf');
    cgroupDir(join(fs, 'job.scope'), v2Files('memory pids'));
    cgroupDir(join(fs, 'job.scope/burrow-leaf'), v2Files(''));
    expect(detect({ sources: src, uid: UID }).v2Parent).toBe(join(fs, 'job.scope'));
  });

  it('route 2: the job in a cgroup it cannot write (files absent), a user manager with its bus', () => {
    const { fs, src } = pureV2('/system.slice/runner.service');
    cgroupDir(join(fs, 'system.slice/runner.service'), { 'cgroup.controllers': 'memory pids\n' });
    cgroupDir(join(fs, `user.slice/user-${UID}.slice/user@${UID}.service`), v2Files('cpu memory pids'));
    writeFileSync(join(base, 'run', 'bus'), '');
    const host = detect({ sources: src, uid: UID });
    expect(host.route).toBe('systemd-user');
    expect(host.controllers).toEqual(['memory', 'pids', 'cpu', 'freezer']);
    expect(host.v2Parent).toBe(join(fs, `user.slice/user-${UID}.slice/user@${UID}.service/burrow.slice/burrow-holder.service`));
  });

  it('route 2 needs the bus: without it (a user manager with systemd/private only), nothing', () => {
    const { fs, src } = pureV2('/system.slice/runner.service');
    cgroupDir(join(fs, `user.slice/user-${UID}.slice/user@${UID}.service`), v2Files('memory pids'));
    const host = detect({ sources: src, uid: UID });
    expect(host.route).toBe('none');
    expect(host.more).toMatch(/enable-linger/);
  });

  it('route 3 on a hybrid host: the nearest burrow-<uid> from the own cgroup up, per hierarchy', () => {
    const { fs, src } = hybrid();
    for (const name of ['pids', 'cpu', 'cpuacct', 'freezer']) cgroupDir(join(fs, name, `burrow-${UID}`), { 'cgroup.procs': '' });
    cgroupDir(join(fs, `memory/burrow-${UID}`), { 'cgroup.procs': '', 'memory.limit_in_bytes': '9223372036854771712\n' });
    const host = detect({ sources: src, uid: UID });
    expect(host.route).toBe('delegated-v1');
    expect(host.controllers).toEqual(['memory', 'pids', 'cpu', 'freezer']);
    expect(host.v1Subtrees?.memory).toBe(join(fs, `memory/burrow-${UID}`));
    expect(host.swapLimit).toBe(false);
  });

  it('a delegated unified cgroup of a hybrid host has no resource controller: v1 wins where it has a subtree, else the freezer alone', () => {
    const { fs, src } = hybrid();
    const unified = join(fs, 'unified');
    const own = sources(base, '8:pids:/\n0::/user.slice/me.scope\n', [v1Mount(join(fs, 'pids'), 'pids'), v2Mount(unified)]);
    cgroupDir(join(unified, 'user.slice/me.scope'), v2Files(''));
    expect(detect({ sources: own, uid: UID })).toMatchObject({ route: 'delegated-v2', controllers: ['freezer'] });
    cgroupDir(join(fs, 'pids', `burrow-${UID}`), { 'cgroup.procs': '' });
    expect(detect({ sources: own, uid: UID })).toMatchObject({ route: 'delegated-v1', controllers: ['pids'] });
    expect(detect({ sources: src, uid: UID }).route).toBe('delegated-v1');
  });

  it('route 4 on cgroup v1 without a subtree: none, and `sudo burrow setup` gives more', () => {
    const host = detect({ sources: hybrid().src, uid: UID });
    expect(host).toMatchObject({ route: 'none', controllers: [], more: 'sudo burrow setup' });
  });

  it('BURROW_CGROUP_ROUTE forces a route; one that is not there, or no route at all, is a one-line BurrowError', () => {
    const { fs, src } = hybrid();
    cgroupDir(join(fs, 'pids', `burrow-${UID}`), { 'cgroup.procs': '' });
    expect(detect({ sources: src, uid: UID, force: 'none' }).route).toBe('none');
    expect(detect({ sources: src, uid: UID, force: 'delegated-v1' }).route).toBe('delegated-v1');
    for (const force of ['systemd-user', 'v3']) {
      let error: unknown;
      try {
        detect({ sources: src, uid: UID, force });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(BurrowError);
      expect((error as Error).message).toContain(`BURROW_CGROUP_ROUTE=${force}`);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
