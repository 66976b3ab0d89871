/**
 * A job's environment as NAME=VALUE entries, later ones over earlier ones:
 * `defaults`, then each list of `layers` in order — for `run`, the image's Env and
 * then the caller's -e and --env-file (container/create.ts); for `exec`, the
 * container's environment and then exec's -e (container/exec.ts). Entries are
 * data: never looked up in, nor expanded against, this process's environment (the
 * caller's own values come only through image-config.ts: callerEnv, for -e NAME).
 */
export function mergeEnv(layers: ReadonlyArray<readonly string[]>, defaults: Readonly<Record<string, string>> = {}): string[] {
  const env = new Map<string, string>(Object.entries(defaults));
  for (const entry of layers.flat()) {
    const at = entry.indexOf('=');
    // Validated before (image-config.ts, callerEnv): an entry without a name has no place here.
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return [...env].map(([key, value]) => `${key}=${value}`);
}
