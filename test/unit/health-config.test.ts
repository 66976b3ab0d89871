import { describe, expect, it } from 'vitest';
import { BurrowError } from '../../src/errors.js';
import { checkArgv, formatDuration, healthFromFlags, inspectHealthcheck, monitorHealthArgs, nextCheckDelayMs, parseDuration, resolveHealthcheck, type HealthConfig } from '../../src/container/health-config.js';
import { imageRuntimeConfig } from '../../src/container/image-config.js';

function failure(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    expect(error).toBeInstanceOf(BurrowError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a BurrowError');
}

describe('durations in Go\'s spelling (Docker\'s --health-* flags)', () => {
  it('reads seconds, milliseconds, compounds, fractions and micro in its three spellings', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('2000us')).toBe(2);
    expect(parseDuration('2000\u00b5s')).toBe(2);
    expect(parseDuration('2000\u03bcs')).toBe(2);
    expect(parseDuration('1000000ns')).toBe(1);
  });

  it('refuses what Go refuses: no unit, a negative, spaces, unknown units, nothing', () => {
    for (const text of ['', '10', '-1s', '1 s', '1d', 's', '1s2', '.s']) expect(parseDuration(text), text).toBeUndefined();
  });

  it('prints as Go prints them', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
  });
});

describe('the flags', () => {
  it('set what is given, as milliseconds, with the command in Docker\'s CMD-SHELL form', () => {
    expect(healthFromFlags({ healthcheck: true })).toBeUndefined();
    expect(healthFromFlags({ healthCmd: 'pg_isready', healthInterval: '1s', healthTimeout: '500ms', healthRetries: '5', healthStartPeriod: '1m', healthStartInterval: '2s', healthcheck: true })).toEqual({
      test: ['CMD-SHELL', 'pg_isready'], intervalMs: 1000, timeoutMs: 500, retries: 5, startPeriodMs: 60_000, startIntervalMs: 2000,
    });
    // Podman's JSON list: run as it is.
    expect(healthFromFlags({ healthCmd: '["pg_isready", "-U", "postgres"]' })).toEqual({ test: ['CMD', 'pg_isready', '-U', 'postgres'] });
    expect(healthFromFlags({ healthcheck: false })).toBe('none');
  });

  it('refuse bad values in one line naming the flag', () => {
    expect(failure(() => healthFromFlags({ healthInterval: '10' }))).toBe('invalid --health-interval "10": use a duration such as 30s, 500ms or 1m30s');
    expect(failure(() => healthFromFlags({ healthTimeout: '-1s' }))).toContain('invalid --health-timeout "-1s"');
    expect(failure(() => healthFromFlags({ healthStartPeriod: '10us' }))).toBe('invalid --health-start-period "10us": give 0 (the default) or at least 1ms');
    expect(failure(() => healthFromFlags({ healthRetries: '-2' }))).toContain('invalid --health-retries "-2"');
    expect(failure(() => healthFromFlags({ healthRetries: 'three' }))).toContain('invalid --health-retries "three"');
    expect(failure(() => healthFromFlags({ healthCmd: '  ' }))).toContain('invalid --health-cmd');
    expect(failure(() => healthFromFlags({ healthCmd: '[1, 2]' }))).toContain('a JSON list must hold at least one string');
    expect(failure(() => healthFromFlags({ healthCmd: 'true', healthcheck: false }))).toBe('--no-healthcheck conflicts with the --health-* options: give one or the other');
  });
});

describe('the image\'s Healthcheck and the flags together', () => {
  const image = { Test: ['CMD', '/bin/check', '--quick'], Interval: 2e9, Timeout: 1e9, StartPeriod: 0, Retries: 2 };

  it('takes the image\'s, with Docker\'s defaults for what it leaves at 0', () => {
    expect(resolveHealthcheck(image, undefined)).toEqual({ test: ['CMD', '/bin/check', '--quick'], intervalMs: 2000, timeoutMs: 1000, startPeriodMs: 0, retries: 2 });
    expect(resolveHealthcheck({ Test: ['CMD-SHELL', 'true'] }, undefined)).toEqual({ test: ['CMD-SHELL', 'true'], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 });
  });

  it('lets each flag override its field alone; 0 falls through to the image, as in moby\'s merge', () => {
    expect(resolveHealthcheck(image, { intervalMs: 500 })).toMatchObject({ test: ['CMD', '/bin/check', '--quick'], intervalMs: 500, timeoutMs: 1000, retries: 2 });
    expect(resolveHealthcheck(image, { test: ['CMD-SHELL', 'exit 0'], retries: 0 })).toMatchObject({ test: ['CMD-SHELL', 'exit 0'], intervalMs: 2000, retries: 2 });
  });

  it('has none for --no-healthcheck, a NONE test, or no test anywhere (durations alone check nothing)', () => {
    expect(resolveHealthcheck(image, 'none')).toBeUndefined();
    expect(resolveHealthcheck({ Test: ['NONE'] }, undefined)).toBeUndefined();
    expect(resolveHealthcheck(undefined, { intervalMs: 1000 })).toBeUndefined();
    expect(resolveHealthcheck(undefined, undefined)).toBeUndefined();
  });

  it('runs CMD-SHELL with the image\'s Shell (Docker\'s /bin/sh -c without one); CMD as it is', () => {
    const shell = imageRuntimeConfig({ Shell: ['/bin/bash', '-o', 'pipefail', '-c'] }, 'img').shell;
    expect(checkArgv(resolveHealthcheck({ Test: ['CMD-SHELL', 'pg_isready'] }, undefined, shell)!)).toEqual(['/bin/bash', '-o', 'pipefail', '-c', 'pg_isready']);
    expect(checkArgv(resolveHealthcheck(undefined, { test: ['CMD-SHELL', 'exit 0'] }, shell)!)).toEqual(['/bin/bash', '-o', 'pipefail', '-c', 'exit 0']);
    expect(checkArgv(resolveHealthcheck({ Test: ['CMD-SHELL', 'pg_isready'] }, undefined, imageRuntimeConfig({ Shell: [] }, 'img').shell)!)).toEqual(['/bin/sh', '-c', 'pg_isready']);
    expect(checkArgv(resolveHealthcheck({ Test: ['CMD-SHELL', 'pg_isready'] }, undefined)!)).toEqual(['/bin/sh', '-c', 'pg_isready']);
    // A CMD check keeps no shell at all.
    expect(resolveHealthcheck(image, undefined, shell)).not.toHaveProperty('shell');
    expect(checkArgv(resolveHealthcheck(image, undefined, shell)!)).toEqual(['/bin/check', '--quick']);
    expect(() => imageRuntimeConfig({ Shell: '/bin/bash -c' }, 'img')).toThrow(/Shell is string, not a list of strings/);
    expect(() => imageRuntimeConfig({ Shell: ['', '-c'] }, 'img')).toThrow(/Shell\[0\] is empty/);
  });

  it('shows in inspect as Docker does: nanoseconds', () => {
    const config: HealthConfig = { test: ['CMD-SHELL', 'true'], intervalMs: 1000, timeoutMs: 500, startPeriodMs: 0, retries: 3 };
    expect(inspectHealthcheck(config)).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 1e9, Timeout: 5e8, StartPeriod: 0, Retries: 3 });
  });
});

describe('the schedule (the monitor keeps the same in C)', () => {
  const config: HealthConfig = { test: ['CMD-SHELL', 'true'], intervalMs: 10_000, timeoutMs: 1000, startPeriodMs: 12_000, retries: 3, startIntervalMs: 1000 };

  it('checks every start interval in the start period until a check passes, one at its end, then every interval', () => {
    expect(nextCheckDelayMs(config, 0, false)).toBe(1000);
    expect(nextCheckDelayMs(config, 11_500, false)).toBe(500);
    expect(nextCheckDelayMs(config, 5000, true)).toBe(10_000);
    expect(nextCheckDelayMs(config, 12_000, false)).toBe(10_000);
    // Without a start period: the first check one interval after the start, as Docker.
    expect(nextCheckDelayMs({ ...config, startPeriodMs: 0 }, 0, false)).toBe(10_000);
    // Never slower than the interval.
    expect(nextCheckDelayMs({ ...config, intervalMs: 500, startIntervalMs: undefined }, 0, false)).toBe(500);
  });

  it('reaches the monitor as one option with the check command counted', () => {
    expect(monitorHealthArgs(undefined, ['x'])).toEqual([]);
    expect(monitorHealthArgs(config, ['node', 'burrow.js', 'healthcheck', 'run', 'ID'])).toEqual(['--health', '10000', '12000', '1000', '1000', '5', 'node', 'burrow.js', 'healthcheck', 'run', 'ID']);
  });
});
