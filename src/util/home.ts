import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The user's home directory: `$HOME` when it is an absolute path, else the
 * password database's, as when HOME is unset; undefined if neither is. An empty or
 * relative HOME (a CI step's `env -i HOME=`, a service's `HOME=.`) would otherwise
 * put the store, and look for credentials and settings, in the working directory.
 */
export function homeDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HOME !== undefined && isAbsolute(env.HOME)) return env.HOME;
  try {
    const fromPasswd = userInfo().homedir;
    return isAbsolute(fromPasswd) ? fromPasswd : undefined;
  } catch {
    // No entry for this uid in the password database.
    return undefined;
  }
}

/**
 * An XDG base directory (`XDG_DATA_HOME`, `XDG_CONFIG_HOME`): the variable when it
 * is absolute (the specification says to ignore a relative one), else `under` in
 * the home directory; undefined when there is no home directory.
 */
export function xdgDirectory(env: NodeJS.ProcessEnv, variable: 'XDG_DATA_HOME' | 'XDG_CONFIG_HOME', under: string): string | undefined {
  const value = env[variable];
  if (value !== undefined && isAbsolute(value)) return value;
  const home = homeDirectory(env);
  return home === undefined ? undefined : join(home, under);
}

/** The home directory for paths that only name where to look (credentials, certificates): Node's answer when there is none. */
export function homeForLookups(env: NodeJS.ProcessEnv = process.env): string {
  return homeDirectory(env) ?? homedir();
}
