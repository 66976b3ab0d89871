import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';

/**
 * Resource limits on pure cgroup v2 (issue 10), in the GitHub-runner-like VM of
 * ../shared/cgroup2-vm, one boot per placement of the job (VM_PLACEMENT):
 * - scope: a Delegate=yes scope (route delegated-v2);
 * - system: a root-owned system service with runner's user manager running, as on
 *   GitHub-hosted runners (route systemd-user);
 * - nouser: nothing delegated (route none).
 * The guest runs under software emulation (~10x slower): each boot runs one small
 * script and prints key=value lines, which the tests read.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VM_TOOL = join(REPO, '..', 'shared', 'cgroup2-vm', 'run-in-vm.sh');
const VM_IMAGE = join(process.env.VM_CACHE ?? '/tmp/vm/cache', 'rootfs.img');
const available = existsSync(VM_TOOL) && existsSync(VM_IMAGE);
if (!available) {
  console.log(`cgroup2-vm-limits: skipped: ${existsSync(VM_TOOL) ? `no VM image at ${VM_IMAGE}` : `no VM harness at ${VM_TOOL}`} (as root, test/bed/install.sh builds it with ../shared/cgroup2-vm/build-image.sh)`);
}

const PRELUDE = String.raw`
export PATH=/mnt/work/.vmbin:$PATH BURROW_ROOT=/tmp/store HOME=/tmp/home
mkdir -p $HOME; cd /mnt/work
b() { node bin/burrow.js "$@"; }
b load -i busybox-docker.tar >/dev/null
echo "doctor=$(b doctor --format json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const r = JSON.parse(s).cgroup; console.log(r.route + " " + r.controllers.join(",")); })')"
`;

/** Where limits are delegated (scope, system): each limit, each command around them. */
const LIMITS = String.raw`
b run --name oom --memory 32m busybox sh -c 'head -c 134217728 /dev/zero | grep -c x' >/dev/null 2>&1; echo "oom-exit=$?"
echo "oom-killed=$(b inspect oom | grep -c '"OOMKilled": true')"
echo "pids-eagain=$(b run --rm --pids-limit 16 busybox sh -c 'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo spawned-all' 2>&1 | grep -c -e "can't fork" -e 'Resource temporarily unavailable')"
b run -d --name svc --memory 64m --pids-limit 100 busybox sh -c 'while true; do sleep 0.2; done' >/dev/null
pid=$(b inspect svc | grep '"Pid"' | head -n 1 | tr -dc 0-9)
cg=/sys/fs/cgroup$(cut -d: -f3 /proc/$pid/cgroup)
echo "svc-cgroup=$cg"
b run -d --name dflt busybox sleep 300 >/dev/null
dpid=$(b inspect dflt | grep '"Pid"' | head -n 1 | tr -dc 0-9)
echo "default-pids=$(cat /sys/fs/cgroup$(cut -d: -f3 /proc/$dpid/cgroup)/pids.max)"
b rm -f dflt >/dev/null
echo "memory-max=$(cat $cg/memory.max) pids-max=$(cat $cg/pids.max)"
echo "stats=$(b stats --no-stream --format json svc | tr -d '\n')"
b update --memory 128m --pids-limit 200 svc >/dev/null; echo "update-exit=$?"
echo "updated=$(cat $cg/memory.max) $(cat $cg/pids.max)"
b rm -f svc >/dev/null
echo "svc-left=$([ -d $cg ] && echo yes || echo no)"
b run --name fg busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.2; done' >/tmp/fg.out 2>&1 &
for i in $(seq 300); do [ -s /tmp/fg.out ] && break; sleep 0.2; done
b pause fg >/dev/null; echo "fg-pause=$?"
sleep 2; n1=$(wc -l </tmp/fg.out); sleep 3; n2=$(wc -l </tmp/fg.out)
echo "fg-frozen=$([ "$n1" = "$n2" ] && echo yes || echo "no $n1 $n2")"
b unpause fg >/dev/null
for i in $(seq 100); do [ "$(wc -l </tmp/fg.out)" -gt "$n2" ] && break; sleep 0.2; done
echo "fg-resumed=$([ "$(wc -l </tmp/fg.out)" -gt "$n2" ] && echo yes || echo no)"
b stop -t 1 fg >/dev/null; wait
b rm -f fg oom >/dev/null
echo "containers-left=$(b ps -a -q | wc -l)"
`;

/**
 * Where nothing is delegated: an asked limit is refused in one line, or run without it on request, with a warning.
 * `--network none`: the VM has neither pasta nor slirp4netns, and the default network's note would be a second line.
 */
const NONE = String.raw`
b run --rm --network none --memory 64m busybox true 2>/tmp/err; echo "memory-exit=$?"
echo "memory-err=$(cat /tmp/err)"
echo "ignored-out=$(b run --rm --network none --memory 64m --ignore-missing-limits busybox echo ran 2>/tmp/warn)"
echo "ignored-warn=$(tr '\n' '|' </tmp/warn)"
echo "plain=$(b run --rm --network none busybox echo plain 2>&1)"
`;

type Placement = 'scope' | 'system' | 'nouser';
const outputs: Partial<Record<Placement, string>> = {};
let share = '';

async function boot(placement: Placement, script: string): Promise<void> {
  const result = await execa('bash', [VM_TOOL, PRELUDE + script], {
    env: { ...process.env, VM_SHARE_DIR: share, VM_SHARE_CHOWN: '1', VM_TIMING: '0', VM_PLACEMENT: placement },
    reject: false,
    timeout: 600_000,
  });
  outputs[placement] = `${String(result.stdout)}\n${String(result.stderr)}`;
}

beforeAll(async () => {
  if (!available) return;
  share = mkdtempSync(join(tmpdir(), 'burrow-vm-limits-'));
  for (const entry of ['bin', 'build', 'node_modules', 'schemas', 'package.json']) cpSync(join(REPO, entry), join(share, entry), { recursive: true });
  // The VM image has no bubblewrap; the host's binary runs there (same Debian release).
  cpSync('/usr/bin/bwrap', join(share, '.vmbin', 'bwrap'));
  cpSync(bed().archives['busybox-docker'], join(share, 'busybox-docker.tar'));
  // One after another: each guest takes both cores.
  await boot('scope', LIMITS);
  await boot('system', LIMITS);
  await boot('nouser', NONE);
}, 1_900_000);

afterAll(() => {
  if (share !== '') rmSync(share, { recursive: true, force: true });
});

const value = (placement: Placement, key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(outputs[placement] ?? '')?.[1];

for (const [placement, route] of [['scope', 'delegated-v2'], ['system', 'systemd-user']] as const) {
  describe.skipIf(!available)(`cgroup v2 VM, job in ${placement === 'scope' ? 'a delegated scope' : "a root-owned system service (GitHub-hosted runner)"}: route ${route}`, () => {
    it('doctor names the route and its controllers', () => {
      expect(value(placement, 'doctor'), outputs[placement]).toMatch(new RegExp(`^${route} .*memory.*`));
      expect(value(placement, 'doctor')).toMatch(/pids/);
      expect(value(placement, 'doctor')).toMatch(/cpu/);
    });

    it('--memory: OOM kill, exit 137, OOMKilled', () => {
      expect(value(placement, 'oom-exit'), outputs[placement]).toBe('137');
      expect(value(placement, 'oom-killed')).toBe('1');
    });

    it('--pids-limit: the job meets EAGAIN; the default limit 2048 is in force', () => {
      expect(Number(value(placement, 'pids-eagain')), outputs[placement]).toBeGreaterThan(0);
      expect(value(placement, 'default-pids')).toBe('2048');
    });

    it('the limits are in the container\'s cgroup; stats shows them; update changes them', () => {
      expect(value(placement, 'memory-max'), outputs[placement]).toBe(`${64 * 1024 * 1024} pids-max=100`);
      expect(value(placement, 'stats')).toMatch(/64MiB/);
      expect(value(placement, 'update-exit')).toBe('0');
      expect(value(placement, 'updated')).toBe(`${128 * 1024 * 1024} 200`);
    });

    it('a foreground run is paused from another shell and resumes', () => {
      expect(value(placement, 'fg-pause'), outputs[placement]).toBe('0');
      expect(value(placement, 'fg-frozen')).toBe('yes');
      expect(value(placement, 'fg-resumed')).toBe('yes');
    });

    it('nothing is left behind', () => {
      expect(value(placement, 'svc-left'), outputs[placement]).toBe('no');
      expect(value(placement, 'containers-left')).toBe('0');
    });
  });
}

describe.skipIf(!available)('cgroup v2 VM, no user manager and no delegation: route none', () => {
  it('doctor says none', () => {
    expect(value('nouser', 'doctor'), outputs.nouser).toBe('none ');
  });

  it('an asked --memory is a one-line error; --ignore-missing-limits runs with one warning; no limit asked, it runs', () => {
    expect(value('nouser', 'memory-exit'), outputs.nouser).toBe('125');
    expect(value('nouser', 'memory-err')).toMatch(/^burrow: --memory needs a delegated cgroup: run 'burrow doctor'/);
    expect(value('nouser', 'ignored-out')).toBe('ran');
    // One warning line, naming what is not enforced.
    expect(value('nouser', 'ignored-warn')).toMatch(/^[^|]*--memory[^|]*\|$/);
    expect(value('nouser', 'plain')).toBe('plain');
  });
});
