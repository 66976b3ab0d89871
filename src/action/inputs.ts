/**
 * The Action's inputs (action.yml), read as the runner passes them: each as
 * `INPUT_<NAME>` in the environment (upper case, spaces as underscores; hyphens kept),
 * which @actions/core's getInput reads. Checked here, once, into plain data: a bad
 * value is one line naming the input before anything is pulled or started.
 */
import { isAbsolute, resolve } from 'node:path';
import { getBooleanInput, getInput, getMultilineInput } from '@actions/core';
import { BurrowError } from '../errors.js';

export interface ActionInputs {
  image: string | undefined;
  /** The script handed to the container's `sh -c`. */
  run: string | undefined;
  options: string;
  jobFile: string | undefined;
  /** Bound at the same path and made the working directory; undefined: none. */
  workspace: string | undefined;
  /** NAME=value lines. */
  env: string[];
  memory: string | undefined;
  cpus: string | undefined;
  pidsLimit: string | undefined;
  network: string | undefined;
  /** Credentials for the registry of the image (run) or of the job's images. */
  registry: { username: string; password: string } | undefined;
  setup: boolean;
  cache: boolean;
}

const optional = (name: string): string | undefined => {
  const text = getInput(name);
  return text === '' ? undefined : text;
};

/** `true`/`false` as YAML 1.2's core schema spells them (getBooleanInput), empty as `fallback`. */
function flag(name: string, fallback: boolean): boolean {
  if (getInput(name) === '') return fallback;
  try {
    return getBooleanInput(name);
  } catch {
    throw new BurrowError('INVALID_ARGUMENT', `input ${name} must be true or false, not "${getInput(name)}"`);
  }
}

export function readInputs(env: NodeJS.ProcessEnv = process.env): ActionInputs {
  const image = optional('image');
  // Not trimmed: a script's own indentation and last newline are its business.
  const run = getInput('run', { trimWhitespace: false }).trim() === '' ? undefined : getInput('run', { trimWhitespace: false });
  const jobFile = optional('job-file');
  if (jobFile === undefined && image === undefined) throw new BurrowError('INVALID_ARGUMENT', 'give the input image (with run), or job-file');
  if (jobFile !== undefined && (image !== undefined || run !== undefined)) {
    throw new BurrowError('INVALID_ARGUMENT', 'job-file names its own image and steps: leave out the inputs image and run');
  }
  const workspaceText = getInput('workspace');
  const workspace = workspaceText === 'none' ? undefined : workspaceText !== '' ? resolve(workspaceText) : env.GITHUB_WORKSPACE;
  if (workspace !== undefined && !isAbsolute(workspace)) throw new BurrowError('INVALID_ARGUMENT', `workspace "${workspace}" is not an absolute path`);
  const envLines = getMultilineInput('env');
  for (const line of envLines) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) throw new BurrowError('INVALID_ARGUMENT', `input env: "${line.split('=')[0]}" is not NAME=value (one variable a line)`);
  }
  const username = optional('registry-username');
  const password = getInput('registry-password', { trimWhitespace: false });
  if ((username === undefined) !== (password === '')) {
    throw new BurrowError('INVALID_ARGUMENT', 'give registry-username and registry-password together');
  }
  return {
    image,
    run,
    options: getInput('options'),
    jobFile: jobFile === undefined ? undefined : resolve(env.GITHUB_WORKSPACE ?? process.cwd(), jobFile),
    workspace,
    env: envLines,
    memory: optional('memory'),
    cpus: optional('cpus'),
    pidsLimit: optional('pids-limit'),
    network: optional('network'),
    registry: username === undefined ? undefined : { username, password },
    setup: flag('setup', false),
    cache: flag('cache', false),
  };
}
