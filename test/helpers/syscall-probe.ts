/**
 * test/fixtures/syscall-probe.c for tests: builds it (static, so it runs in any
 * container's root) and reads its answers. `syscall-probe --list` names the
 * probes; the header of the C file describes the output and exit statuses.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const SYSCALL_PROBE_SOURCE = new URL('../fixtures/syscall-probe.c', import.meta.url).pathname;

/** Builds the probe into `dir` with gcc -static; returns its path. */
export function buildSyscallProbe(dir: string): string {
  const probe = join(dir, 'syscall-probe');
  const build = spawnSync('gcc', ['-static', '-O2', '-Wall', '-pthread', '-o', probe, SYSCALL_PROBE_SOURCE], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building syscall-probe failed: ${build.error?.message ?? build.stderr}`);
  return probe;
}

/** `name=answer` lines as { name: answer } ("ok", an errno name such as "EPERM", "signal:SIGSYS", "unsupported"). */
export function parseProbeAnswers(stdout: string): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) answers[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return answers;
}
