/**
 * The compiled filters on the real kernel: test/fixtures/syscall-probe.c (built
 * here, statically) attempts syscalls under a filter loaded three ways: by
 * burrow-init (`-n -S FD`, inside a bubblewrap sandbox), as burrow's containers
 * and `burrow exec` load it; by bubblewrap's own `--seccomp FD`; and by the
 * probe itself with prctl(PR_SET_SECCOMP). The kernel must accept the program
 * and answer as the profile says; a control run without a filter shows the
 * kernel itself would have let the refused calls through.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/sandbox/capabilities.js';
import { compileSeccomp, DEFAULT_SECCOMP_PROFILE, hostSeccompArch, type SeccompProfile } from '../../src/seccomp/index.js';
import { buildSyscallProbe, parseProbeAnswers } from '../helpers/syscall-probe.js';

const ARCH = hostSeccompArch();
/** Built by `npm run build` (native/burrow-init.c). */
const INIT = fileURLToPath(new URL('../../build/native/burrow-init', import.meta.url));
const EDOM = 33;

/** The probes of syscall-probe.c, by what the default profile does with them. */
const REFUSED_BY_DEFAULT = [
  'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at',
  'unshare-user', 'clone-newuser', 'mount', 'personality-norandom', 'reboot', 'settime', 'init_module',
];
const REFUSED_BY_RULE = ['socket-vsock', 'socket-vsock-highbits', 'socket-alg'];
const ALLOWED = ['read', 'fork', 'thread', 'personality', 'socket-inet', 'ptrace'];
const X86_ONLY = ['i386-getpid', 'i386-keyctl', 'x32-getpid'];

let dir: string;
let probe: string;
let filterCount = 0;

interface ProbeRun {
  answers: Record<string, string>;
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function writeFilter(filter: Buffer): string {
  const file = join(dir, `filter-${filterCount++}.bpf`);
  writeFileSync(file, filter, { mode: 0o644 });
  return file;
}

/**
 * The probe in a bubblewrap sandbox (its own user namespace), with the filter, if
 * one is given, on descriptor 3, loaded by `loader`: burrow-init (`-n -S 3`, as
 * burrow runs every container's job and every exec) or bubblewrap (`--seccomp 3`).
 */
function underBwrap(names: string[], filter?: Buffer, loader: 'burrow-init' | 'bwrap' = 'burrow-init'): ProbeRun {
  const fd = filter === undefined ? undefined : openSync(writeFilter(filter), 'r');
  try {
    const load = fd === undefined ? [] : loader === 'bwrap' ? ['--seccomp', '3'] : [];
    const init = fd !== undefined && loader === 'burrow-init' ? [INIT, '-n', '-S', '3', '--'] : [];
    const args = ['--unshare-user', '--dev-bind', '/', '/', ...load, ...init, probe, ...names];
    const result = spawnSync('bwrap', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd ?? 'ignore'], timeout: 30_000 });
    return { answers: parseProbeAnswers(result.stdout), status: result.status, signal: result.signal, stderr: result.stderr };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The probe loading the filter itself with prctl, as burrow-init does, without anything else of burrow-init. */
function withPrctl(names: string[], filter: Buffer): ProbeRun {
  const result = spawnSync(probe, ['--load-filter', writeFilter(filter), ...names], { encoding: 'utf8', timeout: 30_000 });
  return { answers: parseProbeAnswers(result.stdout), status: result.status, signal: result.signal, stderr: result.stderr };
}

function compileDefault(capabilities: readonly string[] = DEFAULT_CAPABILITIES, profile: SeccompProfile = DEFAULT_SECCOMP_PROFILE): Buffer {
  return compileSeccomp(profile, { arch: ARCH!, capabilities });
}

describe.skipIf(ARCH === undefined)('seccomp filters on the real kernel', () => {
  const names = () => [...ALLOWED, ...REFUSED_BY_DEFAULT, ...REFUSED_BY_RULE, 'clone3', ...(ARCH === 'x86_64' ? X86_ONLY : [])];
  /** Whether this kernel runs i386 syscalls at all (IA32 emulation can be configured out). */
  let ia32 = false;
  let control: ProbeRun;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'burrow-syscall-probe-'));
    chmodSync(dir, 0o755);
    probe = buildSyscallProbe(dir);
    control = underBwrap(names());
    ia32 = control.answers['i386-getpid'] === 'ok';
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function expected(refusedErrno: string): Record<string, string> {
    const answers: Record<string, string> = { clone3: 'ENOSYS' };
    for (const name of ALLOWED) answers[name] = 'ok';
    for (const name of REFUSED_BY_DEFAULT) answers[name] = refusedErrno;
    for (const name of REFUSED_BY_RULE) answers[name] = 'EPERM';
    if (ARCH === 'x86_64') {
      answers['x32-getpid'] = 'signal:SIGSYS';
      answers['i386-getpid'] = ia32 ? 'ok' : control.answers['i386-getpid']!;
      answers['i386-keyctl'] = ia32 ? refusedErrno : control.answers['i386-keyctl']!;
    }
    return answers;
  }

  it('control, without a filter: the kernel itself lets the calls the profile refuses through', () => {
    expect(control.status, control.stderr).toBe(0);
    expect(control.answers).toMatchObject({ 'unshare-user': 'ok', 'clone-newuser': 'ok', clone3: 'ok', keyctl: 'ok', add_key: 'ENODEV', 'personality-norandom': 'ok', settime: 'EINVAL' });
    if (ARCH === 'x86_64') expect(control.answers['x32-getpid']).not.toBe('signal:SIGSYS');
  });

  it('burrow-init -n -S, as burrow loads it: the kernel accepts the default filter and refuses what Docker\'s profile refuses', () => {
    expect(existsSync(INIT), `${INIT} is missing: run npm run build`).toBe(true);
    const run = underBwrap(names(), compileDefault());
    expect(run.status, run.stderr).toBe(0);
    expect(run.answers).toEqual(expected('EPERM'));
  });

  it('bubblewrap --seccomp takes the same bytes and gives the same answers', () => {
    const run = underBwrap(names(), compileDefault(), 'bwrap');
    expect(run.status, run.stderr).toBe(0);
    expect(run.answers).toEqual(expected('EPERM'));
  });

  it('the refusals are the filter\'s: with another default errno, every default refusal carries it', () => {
    const run = underBwrap(names(), compileDefault(DEFAULT_CAPABILITIES, { ...DEFAULT_SECCOMP_PROFILE, defaultErrnoRet: EDOM }));
    expect(run.status, run.stderr).toBe(0);
    expect(run.answers).toEqual(expected('EDOM'));
  });

  it('prctl(PR_SET_SECCOMP) from the probe itself: the same bytes give the same answers', () => {
    const run = withPrctl(names(), compileDefault());
    expect(run.status, run.stderr).toBe(0);
    expect(run.answers).toEqual(expected('EPERM'));
  });

  it('with CAP_SYS_ADMIN the namespace rules lift: unshare, clone with CLONE_NEWUSER and clone3 reach the kernel', () => {
    const run = underBwrap(['unshare-user', 'clone-newuser', 'clone3', 'keyctl', 'thread'], compileDefault([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']));
    expect(run.answers).toEqual({ 'unshare-user': 'ok', 'clone-newuser': 'ok', clone3: 'ok', keyctl: 'EPERM', thread: 'ok' });
  });

  it('a filter for another architecture kills the process at its first syscall', () => {
    const foreign = compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch: ARCH === 'x86_64' ? 'aarch64' : 'x86_64', capabilities: DEFAULT_CAPABILITIES });
    const run = withPrctl(['read'], foreign);
    expect(run.signal).toBe('SIGSYS');
    expect(run.answers).toEqual({});
  });

  it('the probe refuses an unknown name before probing anything', () => {
    const result = spawnSync(probe, ['read', 'no-such-probe'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/unknown probe "no-such-probe"/);
  });
});
