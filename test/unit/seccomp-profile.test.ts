/** Reading seccomp profiles in Docker's JSON format: what is accepted, and the one-line errors for the rest. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isBurrowError } from '../../src/errors.js';
import { compileSeccomp, DEFAULT_SECCOMP_PROFILE, loadSeccompProfile, parseSeccompProfile } from '../../src/seccomp/index.js';

/** A profile in the shape of Docker's default.json (our own few rules). */
const DOCKER_STYLE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
  ],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], comment: 'no namespaces', excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' }, args: null },
  ],
};

function errorOf(text: string, source = 'profile.json'): Error {
  try {
    parseSeccompProfile(text, source);
  } catch (error) {
    expect(isBurrowError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).not.toContain('\n');
    return error as Error;
  }
  throw new Error('the profile was accepted');
}

const withRule = (rule: object) => JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, rule] });

describe('parseSeccompProfile', () => {
  it('accepts Docker\'s format, nulls included', () => {
    const profile = parseSeccompProfile(JSON.stringify(DOCKER_STYLE), 'docker.json');
    expect(profile.syscalls).toHaveLength(5);
    expect(profile.syscalls?.[2]?.args?.[0]?.value).toBe(2114060288);
  });

  it('reads integers past 2^53 exactly, and leaves digits inside strings alone', () => {
    const text = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","comment":"not 12345678901234567890","args":[
      {"index":0,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":"4294967296","op":"SCMP_CMP_EQ"}]}]}`;
    const rule = parseSeccompProfile(text, 'big.json').syscalls![0]!;
    expect(rule.comment).toBe('not 12345678901234567890');
    expect(rule.args![0]!.value).toBe(18446744073709551615n);
    expect(rule.args![0]!.valueTwo).toBe(9007199254740993n);
    expect(rule.args![1]!.value).toBe(4294967296);
  });

  it('names the file when it is not JSON', () => {
    expect(errorOf('{"defaultAction": ', '/etc/burrow/strict.json').message).toMatch(/^invalid seccomp profile \/etc\/burrow\/strict\.json: not JSON/);
  });

  it('names the field that is wrong', () => {
    expect(errorOf('{}').message).toBe('invalid seccomp profile profile.json: field "defaultAction" is missing');
    expect(errorOf('{"defaultAction":"SCMP_ACT_DENY"}').message).toMatch(/field "defaultAction" must be one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO/);
    expect(errorOf('{"defaultAction":"SCMP_ACT_ERRNO","defaultActon":"x"}').message).toMatch(/field "defaultActon" is not a seccomp profile field/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALOW' })).message).toMatch(/field "syscalls\[1\]\.action" must be one of/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] })).message).toMatch(/field "syscalls\[1\]\.args\[0\]\.index" must be <= 5/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] })).message).toMatch(/field "syscalls\[1\]\.args\[0\]\.value" must be >= 0/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_BETWEEN' }] })).message).toMatch(/field "syscalls\[1\]\.args\[0\]\.op" must be one of SCMP_CMP_NE/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, op: 'SCMP_CMP_EQ' }] })).message).toMatch(/field "syscalls\[1\]\.args\[0\]\.value" is missing/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } })).message).toMatch(/field "syscalls\[1\]\.includes\.minKernel" must match pattern/);
    expect(errorOf(withRule({ names: ['write; rm'], action: 'SCMP_ACT_ALLOW' })).message).toMatch(/field "syscalls\[1\]\.names\[0\]" must match pattern/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 })).message).toMatch(/field "syscalls\[1\]\.errnoRet" must be <= 65535/);
    expect(errorOf('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_Z80"]}').message).toMatch(/field "architectures\[0\]" must be one of SCMP_ARCH_NATIVE/);
  });

  it('refuses what burrow cannot do or a value that does not fit 64 bits', () => {
    expect(errorOf(withRule({ action: 'SCMP_ACT_ALLOW' })).message).toMatch(/field "syscalls\[1\]\.names" is missing/);
    expect(errorOf(withRule({ names: [], action: 'SCMP_ACT_ALLOW' })).message).toMatch(/field "syscalls\[1\]\.names" is missing/);
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 18446744073709551616, op: 'SCMP_CMP_EQ' }] })).message).toMatch(
      /field "syscalls\[1\]\.args\[0\]\.value" is larger than an unsigned 64-bit value/,
    );
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, valueTwo: '99999999999999999999', op: 'SCMP_CMP_MASKED_EQ' }] })).message).toMatch(
      /field "syscalls\[1\]\.args\[0\]\.valueTwo" is larger than an unsigned 64-bit value/,
    );
    expect(errorOf(withRule({ names: ['write'], action: 'SCMP_ACT_NOTIFY' })).message).toMatch(/field "syscalls\[1\]\.action": SCMP_ACT_NOTIFY needs a seccomp agent/);
    expect(errorOf('{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock"}').message).toMatch(/field "listenerPath" needs a seccomp agent/);
    expect(errorOf('{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}').message).toMatch(/field "flags" is not supported/);
  });

  it('reads the default profile back from JSON to the same filter (the schema accepts everything burrow writes)', () => {
    const text = JSON.stringify(DEFAULT_SECCOMP_PROFILE);
    const options = { arch: 'x86_64' as const, capabilities: ['CAP_CHOWN'], kernelRelease: '6.18.0' };
    expect(compileSeccomp(parseSeccompProfile(text, 'default.json'), options).equals(compileSeccomp(DEFAULT_SECCOMP_PROFILE, options))).toBe(true);
  });
});

describe('loadSeccompProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-seccomp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, and names it when it cannot', () => {
    const file = join(dir, 'docker.json');
    writeFileSync(file, JSON.stringify(DOCKER_STYLE));
    expect(loadSeccompProfile(file).defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(() => loadSeccompProfile(join(dir, 'missing.json'))).toThrow(/^cannot read seccomp profile .*missing\.json: ENOENT/);
  });
});
