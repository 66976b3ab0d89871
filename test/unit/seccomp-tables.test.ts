/** The committed syscall tables are what this machine's kernel headers give (scripts/gen-syscall-tables.mjs). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/gen-syscall-tables.mjs', import.meta.url).pathname;
const haveHeaders = existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h') && existsSync('/usr/include/asm-generic/unistd.h') && spawnSync('cpp', ['--version']).status === 0;

describe.skipIf(!haveHeaders)('syscall tables', () => {
  it('match the kernel headers they were generated from', () => {
    const check = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
