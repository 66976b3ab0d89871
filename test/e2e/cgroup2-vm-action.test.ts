import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { actionCheckout } from '../helpers/action.js';
import { NATIVE_STAMP, sourcesHash } from '../../src/action/native.js';

/**
 * The Action on a host like a GitHub-hosted ubuntu-24.04 runner: the cgroup v2 VM of
 * ../shared/cgroup2-vm with VM_PLACEMENT=system, where the step's processes live in a
 * root-owned system service and only runner's user manager delegates a cgroup. One boot:
 * a registry on the VM's loopback (the host's docker-registry, serving the bed's busybox),
 * then `node dist/main.js` and `node dist/post.js` as the runner would run them, with
 * limits; then a main killed mid-job and its post.
 *
 * Simulation: the VM image has no C compiler, so burrow's helpers are compiled on the
 * host (npm run build, the same sources) and put where the Action's first use would
 * have compiled them, with the stamp of dist/native-src.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VM_TOOL = join(REPO, '..', 'shared', 'cgroup2-vm', 'run-in-vm.sh');
const VM_IMAGE = join(process.env.VM_CACHE ?? '/tmp/vm/cache', 'rootfs.img');
const available = existsSync(VM_TOOL) && existsSync(VM_IMAGE) && existsSync('/usr/bin/docker-registry');
if (!available) console.log(`cgroup2-vm-action: skipped: no VM harness, VM image (${VM_IMAGE}) or docker-registry`);

let share = '';
let output = '';

// Reads the last value of NAME from a runner command file (name<<DELIMITER ... DELIMITER).
const READ_VALUE = String.raw`node -e 'const [file, name] = process.argv.slice(1); const lines = require("fs").readFileSync(file, "utf8").split("\n"); let value = ""; for (let i = 0; i < lines.length; i++) { const m = /^([^<]+)<<(.+)$/.exec(lines[i]); if (m === null) continue; const v = []; while (++i < lines.length && lines[i] !== m[2]) v.push(lines[i]); if (m[1] === name) value = v.join("\n"); } process.stdout.write(value);'`;

const SCRIPT = String.raw`
export PATH=/mnt/work/.vmbin:$PATH HOME=/tmp/home BURROW_ROOT=/tmp/store
mkdir -p $HOME /tmp/rt /tmp/ws; chmod 0777 /tmp/ws; cd /mnt/work
value() { ${READ_VALUE} "$@"; }
cat >/tmp/registry.yml <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /mnt/work/registry
http:
  addr: 127.0.0.1:5000
EOF
docker-registry serve /tmp/registry.yml >/tmp/registry.log 2>&1 &
for i in $(seq 150); do node -e 'fetch("http://127.0.0.1:5000/v2/").then(() => process.exit(0), () => process.exit(1))' && break; sleep 0.2; done
echo "cgroup=$(cat /proc/self/cgroup)"
step() {  # a step's files, fresh
  : >/tmp/output; : >/tmp/state; : >/tmp/summary
  export GITHUB_OUTPUT=/tmp/output GITHUB_STATE=/tmp/state GITHUB_STEP_SUMMARY=/tmp/summary GITHUB_WORKSPACE=/tmp/ws RUNNER_TEMP=/tmp/rt GITHUB_RUN_ID=1 GITHUB_ACTIONS=true
}
step
# The job waits for /tmp/ws/go (the workspace is bound at the same path) while its cgroup is read from the host.
env INPUT_IMAGE=127.0.0.1:5000/busybox:latest INPUT_NETWORK=none INPUT_MEMORY=64m INPUT_PIDS-LIMIT=50 INPUT_OPTIONS='-u 1000' \
  INPUT_RUN='echo "job-uid=$(id -u)"; mkdir -p out/d && echo x >out/d/f && chmod 0500 out/d; echo ready; while [ ! -e /tmp/ws/go ]; do sleep 0.1; done' \
  node action/dist/main.js >/tmp/main.log 2>&1 &
main=$!
for i in $(seq 600); do grep -q '^ready' /tmp/main.log && break; sleep 0.2; done
pid=$(node action/dist/bin/burrow.js inspect $(node action/dist/bin/burrow.js ps -q) | grep '"Pid"' | head -n 1 | tr -dc 0-9)
cg=/sys/fs/cgroup$(cut -d: -f3 /proc/$pid/cgroup)
echo "memory-max=$(cat $cg/memory.max)"
echo "pids-max=$(cat $cg/pids.max)"
touch /tmp/ws/go
wait $main
echo "main-exit=$?"
rm -f /tmp/ws/go
grep -E '^job-uid=' /tmp/main.log
echo "exit-code=$(value /tmp/output exit-code)"
echo "image-digest=$(value /tmp/output image-digest)"
echo "summary=$(tr '\n' ' ' </tmp/summary)"
echo "foreign=$(find /tmp/ws ! -user runner | wc -l)"
rm -rf /tmp/ws/out; echo "removed=$([ -e /tmp/ws/out ] && echo no || echo yes)"
env STATE_burrow="$(value /tmp/state burrow)" node action/dist/post.js >/tmp/post.log 2>&1
echo "post-exit=$?"
step
env INPUT_IMAGE=127.0.0.1:5000/busybox:latest INPUT_NETWORK=none INPUT_RUN='echo started; sleep 600' node action/dist/main.js >/tmp/main2.log 2>&1 &
main=$!
for i in $(seq 300); do grep -q started /tmp/main2.log && break; sleep 0.2; done
echo "running=$(node action/dist/bin/burrow.js ps -q | wc -l)"
kill -KILL $main; wait $main
echo "after-kill=$(node action/dist/bin/burrow.js ps -q | wc -l)"
env STATE_burrow="$(value /tmp/state burrow)" node action/dist/post.js >/tmp/post2.log 2>&1
echo "post2-exit=$?"
echo "post2=$(grep removed /tmp/post2.log | tr '\n' ' ')"
echo "left=$(node action/dist/bin/burrow.js ps -a -q | wc -l)"
echo "sandboxes=$(pgrep -u runner -f 'sleep 600' | wc -l)"
`;

/** The registry's repository of `name`, and every blob its links name, copied to `target`. */
function copyRepository(storage: string, name: string, target: string): void {
  const v2 = join(storage, 'docker', 'registry', 'v2');
  cpSync(join(v2, 'repositories', name), join(target, 'docker', 'registry', 'v2', 'repositories', name), { recursive: true });
  const links = readdirSync(join(v2, 'repositories', name), { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('/link'));
  for (const link of links) {
    const hex = readFileSync(join(v2, 'repositories', name, link), 'utf8').trim().replace(/^sha256:/, '');
    const blob = join('blobs', 'sha256', hex.slice(0, 2), hex);
    if (existsSync(join(v2, blob))) cpSync(join(v2, blob), join(target, 'docker', 'registry', 'v2', blob), { recursive: true });
  }
}

beforeAll(async () => {
  if (!available) return;
  share = mkdtempSync(join(tmpdir(), 'burrow-vm-action-'));
  const action = actionCheckout();
  cpSync(action, join(share, 'action'), { recursive: true });
  rmSync(action, { recursive: true, force: true });
  const native = join(share, 'action', 'dist', 'lib', 'native');
  cpSync(join(REPO, 'build', 'native'), native, { recursive: true });
  writeFileSync(join(native, NATIVE_STAMP), sourcesHash(join(share, 'action', 'dist', 'native-src')));
  mkdirSync(join(share, '.vmbin'));
  // The VM image has no bubblewrap and no registry: the host's binaries run there (same Debian release).
  cpSync('/usr/bin/bwrap', join(share, '.vmbin', 'bwrap'));
  cpSync('/usr/bin/docker-registry', join(share, '.vmbin', 'docker-registry'));
  copyRepository(bed().registryStorage.anon, 'busybox', join(share, 'registry'));
  const result = await execa('bash', [VM_TOOL, SCRIPT], { env: { ...process.env, VM_SHARE_DIR: share, VM_SHARE_CHOWN: '1', VM_TIMING: '0', VM_PLACEMENT: 'system' }, reject: false, timeout: 840_000 });
  output = `${String(result.stdout)}\n${String(result.stderr)}`;
}, 860_000);

afterAll(() => {
  if (share !== '') rmSync(share, { recursive: true, force: true });
});

const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(output)?.[1];

describe.skipIf(!available)('the Action on a GitHub-hosted-like runner (cgroup v2 VM, steps in a system service)', () => {
  it('runs the step from a system service\'s cgroup, with its limits in force, outputs and summary', () => {
    expect(value('cgroup'), output).toMatch(/^0::\/system\.slice\//);
    expect(value('main-exit'), output).toBe('0');
    expect(value('memory-max')).toBe(String(64 * 1024 * 1024));
    expect(value('pids-max')).toBe('50');
    expect(value('job-uid')).toBe('1000');
    expect(value('exit-code')).toBe('0');
    expect(value('image-digest')).toBe(fixture('busybox:latest').digest);
    expect(value('summary')).toContain('127.0.0.1:5000/busybox:latest');
    // A peak was read from the container's cgroup.
    expect(value('summary')).toMatch(/<td>[\d.]+ (KiB|MiB)<\/td>/);
  });

  it('leaves the workspace the runner user\'s, and post ends cleanly', () => {
    expect(value('foreign'), output).toBe('0');
    expect(value('removed')).toBe('yes');
    expect(value('post-exit')).toBe('0');
  });

  it('post removes what a killed main left running', () => {
    expect(value('running'), output).toBe('1');
    expect(value('post2-exit')).toBe('0');
    expect(value('post2')).toContain('removed 1 container(s)');
    expect(value('left')).toBe('0');
    expect(value('sandboxes')).toBe('0');
  });
});
