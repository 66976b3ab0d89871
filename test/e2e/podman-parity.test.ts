import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { run, sandbox, type Sandbox } from '../helpers/cli.js';

/**
 * The same image run with burrow and with rootless Podman must look the same from
 * inside. Podman runs with runc and cgroupfs: its default crun refuses cgroup v1
 * hybrid hosts like this one.
 */
let box: Sandbox;
let podmanWorks = false;
let podman: (args: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

beforeAll(async () => {
  box = sandbox();
  const conf = join(box.dir, 'registries.conf');
  writeFileSync(conf, `[[registry]]\nlocation = "${bed().registries.anon}"\ninsecure = true\n`);
  const runtimeDir = join(box.dir, 'xdg-run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  const base = ['--root', join(box.dir, 'podman-root'), '--runroot', join(box.dir, 'podman-runroot'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--log-level', 'error'];
  podman = async (args) => {
    const result = await execa('podman', [...base, ...args], { reject: false, env: { XDG_RUNTIME_DIR: runtimeDir, CONTAINERS_REGISTRIES_CONF: conf, HOME: box.home }, stdin: 'ignore' });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  const probe = await podman(['run', '--rm', '--network', 'none', `${bed().registries.anon}/busybox:latest`, 'true']).catch(() => undefined);
  podmanWorks = probe?.exitCode === 0;
  if (!podmanWorks) console.warn(`podman cannot run containers here; parity tests skipped: ${probe?.stderr ?? 'not installed'}`);
  expect((await run(box, ['pull', '-q', `${bed().registries.anon}/multilayer:oci`])).exitCode).toBe(0);
}, 120_000);

// Podman leaves its pause process (catatonit) holding the user namespace: it goes with the suite.
afterAll(() => {
  try {
    process.kill(Number(readFileSync(join(box.dir, 'xdg-run', 'libpod', 'tmp', 'pause.pid'), 'utf8')), 'SIGKILL');
  } catch {
    // No pause process was started.
  }
});

const IMAGE = (): string => `${bed().registries.anon}/multilayer:oci`;
/** Podman adds these on its own; Docker does not (TERM only with -t). */
const PODMAN_ONLY = /^(HOSTNAME|TERM|container)=/;

async function both(args: string[], flags: string[] = []): Promise<[{ exitCode: number; stdout: string }, { exitCode: number; stdout: string }]> {
  return Promise.all([run(box, ['run', '--rm', ...flags, IMAGE(), ...args]), podman(['run', '--rm', '--network', 'none', ...flags, IMAGE(), ...args])]);
}

describe('burrow and rootless Podman agree', () => {
  it('on id, pwd, hostname shape and the uid_map shape', async (context) => {
    if (!podmanWorks) context.skip();
    const script = 'id; pwd; hostname | wc -c; cat /proc/self/uid_map | tr -s " "';
    const [ours, theirs] = await both(['sh', '-c', script]);
    expect(ours.exitCode).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    const [ourUser, theirUser] = await both(['sh', '-c', 'id; pwd; echo $HOME'], ['-u', 'app', '-w', '/home/app']);
    expect(ourUser.stdout).toBe(theirUser.stdout);
  });

  it('on the environment, apart from HOSTNAME (and Podman\'s own TERM and container)', async (context) => {
    if (!podmanWorks) context.skip();
    const [ours, theirs] = await both(['env'], ['-e', 'EXTRA=1']);
    const clean = (text: string): string[] => text.split('\n').filter((line) => !PODMAN_ONLY.test(line)).sort();
    expect(clean(ours.stdout)).toEqual(clean(theirs.stdout));
  });

  it('on exit statuses: the job\'s, 127 for a missing command, 126 for a file that cannot run', async (context) => {
    if (!podmanWorks) context.skip();
    for (const args of [['sh', '-c', 'exit 42'], ['no-such-command'], ['/etc/passwd']]) {
      const [ours, theirs] = await both(args);
      expect(ours.exitCode, args.join(' ')).toBe(theirs.exitCode);
    }
  });
});
