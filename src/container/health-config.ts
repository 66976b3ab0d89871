import { BurrowError } from '../errors.js';

/**
 * A container's health check as `create` decides it (Docker's HEALTHCHECK): the
 * image's `config.Healthcheck`, overridden field by field by the run/create flags,
 * with Docker's defaults for what neither gives. Kept in the record as
 * `record.plan.healthcheck` (undefined: the container has none).
 *
 * `test` is Docker's form: `['CMD', ...argv]` (run as it is), `['CMD-SHELL', script]`
 * (run by the image's `Shell`, `/bin/sh -c` by default) or `['NONE']` (no check:
 * never stored, it resolves to undefined).
 */
export interface HealthConfig {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  /** Between checks during the start period until the first success (Docker 25's StartInterval); absent: Docker's 5 s. */
  startIntervalMs?: number | undefined;
  /** What runs a CMD-SHELL test: the image's `Shell` (Dockerfile's SHELL), kept only when it set one; absent: `/bin/sh -c`. */
  shell?: string[] | undefined;
}

/** Docker's shell for CMD-SHELL when the image sets none (moby: container.Config.Shell's default). */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** Docker's defaults (moby daemon/health.go). */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3, startIntervalMs: 5_000 } as const;

/** The image's `config.Healthcheck` as Docker writes it: durations in nanoseconds, 0 or absent for "inherit/default". */
export interface ImageHealthcheck {
  Test?: string[] | null | undefined;
  Interval?: number | null | undefined;
  Timeout?: number | null | undefined;
  StartPeriod?: number | null | undefined;
  StartInterval?: number | null | undefined;
  Retries?: number | null | undefined;
}

/** The health flags of run and create, as given (strings: parsed here, so the CLI only passes them on). */
export interface HealthFlags {
  healthCmd?: string | undefined;
  healthInterval?: string | undefined;
  healthTimeout?: string | undefined;
  healthStartPeriod?: string | undefined;
  healthStartInterval?: string | undefined;
  healthRetries?: string | undefined;
  /** commander's spelling of --no-healthcheck: false when given. */
  healthcheck?: boolean | undefined;
}

// Go's units; micro as u, U+00B5 or U+03BC.
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in Go's spelling (`1s`, `500ms`, `1m30s`, `1.5h`, `0`), as Docker's
 * --health-* flags take them, in milliseconds; undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const whole = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  let rest = text;
  let total = 0;
  if (rest === '') return undefined;
  while (rest !== '') {
    const match = whole.exec(rest);
    if (match === null) return undefined;
    const unit = /[a-z\u00b5\u03bc]+$/.exec(match[0])![0];
    total += Number(match[0].slice(0, -unit.length)) * UNIT_MS[unit]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** Milliseconds in Go's spelling, as Docker prints a duration ("30s", "1m30s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`;
}

/** A --health-* duration flag: 0 means Docker's default; otherwise at least 1 ms, as Docker refuses less. */
function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid --${flag} "${value}": use a duration such as 30s, 500ms or 1m30s`);
  if (ms !== 0 && ms < 1) throw new BurrowError('INVALID_ARGUMENT', `invalid --${flag} "${value}": give 0 (the default) or at least 1ms`);
  return Math.round(ms);
}

/**
 * `--health-cmd`: a shell command (Docker: `['CMD-SHELL', text]`), or, as Podman
 * also takes it, a JSON list of strings for a command run as it is (`['CMD', ...]`).
 */
function healthTest(text: string): string[] {
  if (text.trim().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((item) => typeof item === 'string' && !item.includes('\0'))) return ['CMD', ...(parsed as string[])];
    throw new BurrowError('INVALID_ARGUMENT', `invalid --health-cmd ${JSON.stringify(text)}: a JSON list must hold at least one string, e.g. ["pg_isready","-U","postgres"]; or give a shell command`);
  }
  if (text.trim() === '') throw new BurrowError('INVALID_ARGUMENT', 'invalid --health-cmd "": give a command, or use --no-healthcheck');
  if (text.includes('\0')) throw new BurrowError('INVALID_ARGUMENT', '--health-cmd holds a NUL byte');
  return ['CMD-SHELL', text];
}

/**
 * The run/create flags as `CreateOptions.healthcheck`: what they set (undefined
 * when none is given), or 'none' for --no-healthcheck. Bad values and
 * --no-healthcheck beside another --health-* flag are one-line errors (Docker's).
 */
export function healthFromFlags(flags: HealthFlags): Partial<HealthConfig> | 'none' | undefined {
  const given: Partial<HealthConfig> = {};
  if (flags.healthCmd !== undefined) given.test = healthTest(flags.healthCmd);
  const interval = durationFlag('health-interval', flags.healthInterval);
  const timeout = durationFlag('health-timeout', flags.healthTimeout);
  const startPeriod = durationFlag('health-start-period', flags.healthStartPeriod);
  const startInterval = durationFlag('health-start-interval', flags.healthStartInterval);
  if (interval !== undefined) given.intervalMs = interval;
  if (timeout !== undefined) given.timeoutMs = timeout;
  if (startPeriod !== undefined) given.startPeriodMs = startPeriod;
  if (startInterval !== undefined) given.startIntervalMs = startInterval;
  if (flags.healthRetries !== undefined) {
    if (!/^\d+$/.test(flags.healthRetries)) throw new BurrowError('INVALID_ARGUMENT', `invalid --health-retries "${flags.healthRetries}": give a whole number (0: the default, 3)`);
    given.retries = Number(flags.healthRetries);
  }
  if (flags.healthcheck === false) {
    if (Object.keys(given).length > 0) throw new BurrowError('INVALID_ARGUMENT', '--no-healthcheck conflicts with the --health-* options: give one or the other');
    return 'none';
  }
  return Object.keys(given).length === 0 ? undefined : given;
}

/** Nanoseconds (Docker's JSON) to milliseconds; 0 or absent: undefined (the default). */
function fromNs(ns: number | null | undefined): number | undefined {
  return ns === undefined || ns === null || ns === 0 ? undefined : Math.max(1, Math.round(ns / 1e6));
}

/**
 * The container's health check: the image's, overridden by what the flags set
 * (a zero duration or retry count falls through to the image's, then to Docker's
 * default, as in moby's merge), or undefined for none (no test anywhere, a `NONE`
 * test, or --no-healthcheck).
 */
export function resolveHealthcheck(image: ImageHealthcheck | undefined, asked: Partial<HealthConfig> | 'none' | undefined, shell?: readonly string[] | undefined): HealthConfig | undefined {
  if (asked === 'none') return undefined;
  const test = asked?.test !== undefined && asked.test.length > 0 ? asked.test : (image?.Test ?? []);
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') throw new BurrowError('INVALID_ARGUMENT', `invalid health check test "${test[0]}": use CMD, CMD-SHELL or NONE`);
  if (test.length < 2) throw new BurrowError('INVALID_ARGUMENT', 'the health check has no command: give one with --health-cmd');
  const pick = (own: number | undefined, fromImage: number | undefined, fallback: number): number => (own !== undefined && own > 0 ? own : fromImage ?? fallback);
  const startInterval = pick(asked?.startIntervalMs, fromNs(image?.StartInterval), 0);
  return {
    test,
    intervalMs: pick(asked?.intervalMs, fromNs(image?.Interval), HEALTH_DEFAULTS.intervalMs),
    timeoutMs: pick(asked?.timeoutMs, fromNs(image?.Timeout), HEALTH_DEFAULTS.timeoutMs),
    startPeriodMs: pick(asked?.startPeriodMs, fromNs(image?.StartPeriod), HEALTH_DEFAULTS.startPeriodMs),
    retries: pick(asked?.retries, image?.Retries === null || image?.Retries === 0 ? undefined : image?.Retries, HEALTH_DEFAULTS.retries),
    ...(startInterval > 0 ? { startIntervalMs: startInterval } : {}),
    // Docker runs CMD-SHELL with the container's Shell (from the image: `docker run` has no flag for it), --health-cmd's too.
    ...(test[0] === 'CMD-SHELL' && shell !== undefined && shell.length > 0 ? { shell: [...shell] } : {}),
  };
}

/** The argv a check runs in the container: CMD as it is, CMD-SHELL's words after the image's Shell or /bin/sh -c (as moby appends them). */
export function checkArgv(config: HealthConfig): string[] {
  return config.test[0] === 'CMD-SHELL' ? [...(config.shell ?? DEFAULT_SHELL), ...config.test.slice(1)] : config.test.slice(1);
}

/** Docker's `Config.Healthcheck` for inspect: durations in nanoseconds. */
export function inspectHealthcheck(config: HealthConfig): Record<string, unknown> {
  return {
    Test: config.test,
    Interval: config.intervalMs * 1e6,
    Timeout: config.timeoutMs * 1e6,
    StartPeriod: config.startPeriodMs * 1e6,
    ...(config.startIntervalMs === undefined ? {} : { StartInterval: config.startIntervalMs * 1e6 }),
    Retries: config.retries,
  };
}

/**
 * How long until the next check, `elapsedMs` after the container started (Docker's
 * schedule: the first check one interval after the start, each next one an
 * interval after the last ended). During the start period, until a check has
 * succeeded, checks come every start interval (never less often than every
 * interval), and one falls at the start period's end. native/burrow-monitor.c
 * keeps the same schedule for detached containers.
 */
export function nextCheckDelayMs(config: HealthConfig, elapsedMs: number, succeeded: boolean): number {
  if (succeeded || elapsedMs >= config.startPeriodMs) return config.intervalMs;
  const startInterval = Math.min(config.startIntervalMs ?? HEALTH_DEFAULTS.startIntervalMs, config.intervalMs);
  return Math.max(1, Math.min(startInterval, config.startPeriodMs - elapsedMs));
}

/**
 * The monitor's options for a detached container's checks (native/burrow-monitor.c):
 * `--health INTERVAL_MS START_PERIOD_MS START_INTERVAL_MS TIMEOUT_MS N CMD…`, CMD
 * being burrow's own `healthcheck run ID` (N words), which it starts when a check
 * is due; it keeps the schedule of nextCheckDelayMs and only kills a check that
 * outlives its own timeout by far (the check kills what it ran at the timeout).
 */
export function monitorHealthArgs(config: HealthConfig | undefined, command: readonly string[]): string[] {
  if (config === undefined) return [];
  const startInterval = config.startIntervalMs ?? HEALTH_DEFAULTS.startIntervalMs;
  return ['--health', String(config.intervalMs), String(config.startPeriodMs), String(startInterval), String(config.timeoutMs), String(command.length), ...command];
}
