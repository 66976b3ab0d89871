import { describe, expect, it } from 'vitest';
import { BurrowError } from '../../src/errors.js';
import { checkLimits, mergeLimits, parseLimitMode, parseLimits, parseSize } from '../../src/container/limits.js';
import { launchInfo } from '../../src/container/launcher.js';

/** The one-line error a bad value gets (the CLI prints it as is). */
function refusal(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(BurrowError);
    expect((error as BurrowError).code).toBe('INVALID_ARGUMENT');
    expect((error as BurrowError).message).not.toContain('\n');
    return (error as BurrowError).message;
  }
  throw new Error('expected a refusal');
}

describe('sizes as Docker reads them (go-units RAMInBytes)', () => {
  it.each([
    ['512', 512],
    ['512b', 512],
    ['512k', 512 * 1024],
    ['64m', 64 * 1024 ** 2],
    ['64M', 64 * 1024 ** 2],
    ['64MB', 64 * 1024 ** 2],
    ['64MiB', 64 * 1024 ** 2],
    ['64 m', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2t', 2 * 1024 ** 4],
  ])('%s is %i bytes', (text, bytes) => {
    expect(parseSize('--memory', text)).toBe(bytes);
  });

  it.each(['', 'm', '64x', '-64m', '64mm', '1e9', '0x10', 'lots'])('"%s" is refused, naming the flag and what to give', (text) => {
    expect(refusal(() => parseSize('--memory', text))).toBe(`invalid --memory "${text}": give a size such as 64m, 1g, 512k or a number of bytes`);
  });
});

describe('parseLimits: flags to Limits', () => {
  it('gives nothing for no flags', () => {
    expect(parseLimits({}, 2)).toEqual({});
  });

  it('turns every flag into its plain unit', () => {
    expect(parseLimits({
      memory: '64m', memorySwap: '128m', memoryReservation: '32m', cpus: '0.5', cpuShares: '512',
      cpusetCpus: '0-1', pidsLimit: '64', blkioWeight: '300',
    }, 2)).toEqual({
      memory: 64 * 1024 ** 2, memorySwap: 128 * 1024 ** 2, memoryReservation: 32 * 1024 ** 2, nanoCpus: 500_000_000, cpuShares: 512,
      cpusetCpus: '0-1', pidsLimit: 64, ioWeight: 300,
    });
  });

  it('takes --memory-swap -1 as unlimited swap, and --pids-limit 0 or -1 as no limit (Docker)', () => {
    expect(parseLimits({ memory: '64m', memorySwap: '-1' }, 2).memorySwap).toBe(-1);
    expect(parseLimits({ pidsLimit: '-1' }, 2).pidsLimit).toBe(-1);
    expect(parseLimits({ pidsLimit: '0' }, 2).pidsLimit).toBe(-1);
  });

  it('takes --memory 0 and --memory-reservation 0 as no limit (Docker\'s default value, as scripts spell it)', () => {
    expect(parseLimits({ memory: '0' }, 2)).toEqual({});
    expect(parseLimits({ memory: '0', memoryReservation: '0' }, 2)).toEqual({});
    expect(parseLimits({ memory: '0b' }, 2)).toEqual({});
  });

  it('keeps --cpus exact in nano-CPUs, from 0.01 to the host\'s cores', () => {
    expect(parseLimits({ cpus: '0.01' }, 2).nanoCpus).toBe(10_000_000);
    expect(parseLimits({ cpus: '1.5' }, 2).nanoCpus).toBe(1_500_000_000);
    expect(parseLimits({ cpus: '.25' }, 2).nanoCpus).toBe(250_000_000);
    expect(parseLimits({ cpus: '2' }, 2).nanoCpus).toBe(2_000_000_000);
  });

  it.each([
    [{ memory: '5m' }, 'invalid --memory "5m": Minimum memory limit allowed is 6MB: give 6m or more'],
    [{ memory: '6000k' }, 'invalid --memory "6000k": Minimum memory limit allowed is 6MB: give 6m or more'],
    [{ memoryReservation: '1m' }, 'invalid --memory-reservation "1m": Minimum memory reservation allowed is 6MB: give 6m or more'],
    [{ memorySwap: '64m' }, 'You should always set the Memory limit when using Memoryswap limit: give --memory as well as --memory-swap'],
    [{ memory: '128m', memorySwap: '64m' }, 'Minimum memoryswap limit should be larger than memory limit: give --memory-swap at least --memory (or -1 for unlimited swap)'],
    [{ memory: '64m', memoryReservation: '128m' }, 'Minimum memory limit can not be less than memory reservation limit: give --memory-reservation at most --memory'],
    [{ cpus: '0' }, 'invalid --cpus "0": Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ cpus: '0.001' }, 'invalid --cpus "0.001": Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ cpus: '3' }, 'invalid --cpus "3": Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ cpus: '-1' }, 'invalid --cpus "-1": give a number of CPUs such as 0.5 or 2 (Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available)'],
    [{ cpus: 'half' }, 'invalid --cpus "half": give a number of CPUs such as 0.5 or 2 (Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available)'],
    [{ cpuShares: '1' }, 'invalid --cpu-shares "1": the range is 2 to 262144; 1024 is the default weight'],
    [{ cpuShares: '262145' }, 'invalid --cpu-shares "262145": the range is 2 to 262144; 1024 is the default weight'],
    [{ cpuShares: 'many' }, 'invalid --cpu-shares "many": give a whole number (the range is 2 to 262144; 1024 is the default weight)'],
    [{ cpuWeight: '0' }, 'invalid --cpu-weight "0": the range is 1 to 10000; 100 is the default weight'],
    [{ cpuWeight: '10001' }, 'invalid --cpu-weight "10001": the range is 1 to 10000; 100 is the default weight'],
    [{ cpusetCpus: '0-3' }, 'invalid --cpuset-cpus "0-3": Requested CPUs are not available - requested 0-3, available: 0-1'],
    [{ cpusetCpus: '2' }, 'invalid --cpuset-cpus "2": Requested CPUs are not available - requested 2, available: 0-1'],
    [{ cpusetCpus: '1-0' }, 'invalid --cpuset-cpus "1-0": give CPU numbers and ranges such as 0-1,3'],
    [{ cpusetCpus: 'a' }, 'invalid --cpuset-cpus "a": give CPU numbers and ranges such as 0-1,3'],
    [{ pidsLimit: '-2' }, 'invalid --pids-limit "-2": give a number of processes, or -1 (or 0) for no limit'],
    [{ pidsLimit: '1.5' }, 'invalid --pids-limit "1.5": give a whole number (give a number of processes, or -1 (or 0) for no limit)'],
    [{ blkioWeight: '5' }, 'invalid --blkio-weight "5": Range of blkio weight is from 10 to 1000'],
    [{ blkioWeight: '1001' }, 'invalid --blkio-weight "1001": Range of blkio weight is from 10 to 1000'],
  ])('%o is refused in one line', (flags, message) => {
    expect(refusal(() => parseLimits(flags, 2))).toBe(message);
  });

  it('accepts a CPU list within the host\'s CPUs', () => {
    expect(parseLimits({ cpusetCpus: '0,1' }, 2).cpusetCpus).toBe('0,1');
    expect(parseLimits({ cpusetCpus: '0' }, 1).cpusetCpus).toBe('0');
    expect(refusal(() => parseLimits({ cpusetCpus: '1' }, 1))).toMatch(/available: 0$/);
  });
});

describe('update: new limits over the old ones', () => {
  const MB = 1024 ** 2;

  it('replaces what is given and keeps the rest', () => {
    expect(mergeLimits({ memory: 64 * MB, pidsLimit: 64 }, { pidsLimit: 128 })).toEqual({ memory: 64 * MB, pidsLimit: 128 });
  });

  it('refuses a memory limit above the swap limit already set, as Docker does', () => {
    expect(refusal(() => mergeLimits({ memory: 64 * MB, memorySwap: 128 * MB }, { memory: 256 * MB }))).toBe('Memory limit should be smaller than already set memoryswap limit: update --memory-swap at the same time');
    expect(mergeLimits({ memory: 64 * MB, memorySwap: 128 * MB }, { memory: 256 * MB, memorySwap: 512 * MB })).toEqual({ memory: 256 * MB, memorySwap: 512 * MB });
    expect(mergeLimits({ memory: 64 * MB, memorySwap: -1 }, { memory: 256 * MB })).toEqual({ memory: 256 * MB, memorySwap: -1 });
  });

  it('checks the merged limits together', () => {
    expect(refusal(() => mergeLimits({ memory: 64 * MB }, { memoryReservation: 128 * MB }))).toMatch(/^Minimum memory limit can not be less than memory reservation limit/);
    expect(() => checkLimits({ memory: 64 * MB, memorySwap: 64 * MB })).not.toThrow();
  });
});

describe('--cgroups and --ignore-missing-limits', () => {
  it('defaults to a cgroup, limits enforced or refused', () => {
    expect(parseLimitMode(undefined, false, {})).toEqual({ disabled: false, ignoreMissing: false });
    expect(parseLimitMode('enabled', true, { memory: 64 * 1024 ** 2 })).toEqual({ disabled: false, ignoreMissing: true });
    expect(parseLimitMode('disabled', false, {})).toEqual({ disabled: true, ignoreMissing: false });
  });

  it('refuses other modes, and limits without a cgroup', () => {
    expect(refusal(() => parseLimitMode('split', false, {}))).toBe('invalid --cgroups "split": use enabled or disabled');
    expect(refusal(() => parseLimitMode('disabled', false, { pidsLimit: 10 }))).toBe('--cgroups disabled runs the container without a cgroup, so it cannot have resource limits: drop one or the other');
  });
});

describe('the cgroup entry\'s failure on fd 3', () => {
  it('becomes one line that says the container could not enter its cgroup', () => {
    const { failure } = launchInfo('burrow-why /sys/fs/cgroup/pids/burrow/abc: Permission denied\n{"burrow-error":"cgroup"}\n', 'overlay');
    expect(failure).toBeInstanceOf(BurrowError);
    expect(failure!.message).toBe("cannot set up the container: cannot move it into its cgroup (/sys/fs/cgroup/pids/burrow/abc: Permission denied); run 'burrow doctor' to check the host's cgroup delegation");
  });
});

describe('one CPU weight', () => {
  it('refuses both spellings at once, and lets update replace one by the other', () => {
    expect(refusal(() => parseLimits({ cpuShares: '512', cpuWeight: '50' }, 2))).toBe('--cpu-shares and --cpu-weight set the same CPU weight (v1 and v2 spellings): give one');
    expect(mergeLimits({ cpuShares: 512 }, { cpuWeight: 50 })).toEqual({ cpuWeight: 50 });
    expect(mergeLimits({ cpuWeight: 50 }, { cpuShares: 512 })).toEqual({ cpuShares: 512 });
  });
});
