import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Sandbox } from './cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Action as a runner has it: action.yml and dist/ as committed (the files git
 * tracks, nothing a local build left beside them), copied into a directory of the
 * user's own (the runner downloads the Action's repository per job; burrow's helpers
 * are compiled into it at first use).
 */
export function actionCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-action-'));
  // safe.directory: the checkout belongs to root, the tests run as burrowtest.
  const tracked = execFileSync('git', ['-c', 'safe.directory=*', '-C', REPO, 'ls-files', '-z', '--', 'action.yml', 'dist'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  if (!tracked.includes('dist/main.js')) throw new Error('dist/main.js is not committed: npm run build:action and commit dist/');
  for (const path of tracked) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(join(REPO, path), join(dir, path));
  }
  return dir;
}

/** One step's files, as the runner makes them: GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY. */
export interface StepFiles {
  dir: string;
  output: string;
  state: string;
  summary: string;
  workspace: string;
  temp: string;
}

export function stepFiles(): StepFiles {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-step-'));
  const files = { dir, output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary.md'), workspace: join(dir, 'workspace'), temp: join(dir, 'runner-temp') };
  for (const file of [files.output, files.state, files.summary]) writeFileSync(file, '');
  mkdirSync(files.workspace);
  mkdirSync(files.temp);
  return files;
}

/**
 * `name<<DELIMITER\nvalue\nDELIMITER` records, the format @actions/core writes to the
 * runner's files (GITHUB_OUTPUT, GITHUB_STATE); a later record replaces an earlier one.
 */
export function readCommandFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let at = 0; at < lines.length; at++) {
    const match = /^([^=<]+)<<(.+)$/.exec(lines[at]!);
    if (match === null) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    while (++at < lines.length && lines[at] !== delimiter) value.push(lines[at]!);
    values[name!] = value.join('\n');
  }
  return values;
}

/** The runner's environment for a step of this Action: INPUT_* (upper case, hyphens kept) and the files. */
export function stepEnv(box: Sandbox, files: StepFiles, inputs: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...box.env,
    GITHUB_ACTIONS: 'true',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: files.workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: files.temp,
    ...extra,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return env;
}

/** `node dist/main.js` (or post.js) as the runner starts it: its own process, in the workspace. */
export function runStep(action: string, script: 'main' | 'post', env: Record<string, string>, cwd: string, timeout = 180_000): ResultPromise {
  return execa(process.execPath, [join(action, 'dist', `${script}.js`)], { env, extendEnv: false, cwd, reject: false, timeout, stdin: 'ignore' });
}

/** Post's environment: the state main saved, as STATE_<name> (what the runner does with GITHUB_STATE). */
export function postEnv(env: Record<string, string>, files: StepFiles): Record<string, string> {
  const state = readCommandFile(files.state);
  return { ...env, ...Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value])) };
}
