/**
 * The Action's main step (action.yml: runs.main = dist/main.js). First burrow's C
 * helpers (native.ts: compiled at first use), then the step itself (run.ts), loaded
 * only then: some of the library's modules note where a helper is when they load.
 */
import * as core from '@actions/core';
import { BurrowError } from '../errors.js';
import { prepareNative } from './native.js';

const began = Date.now();
// Masked before anything can print it (the runner replaces it with *** in the log from here on).
const password = core.getInput('registry-password', { trimWhitespace: false });
if (password !== '') core.setSecret(password);
let code: number;
try {
  await core.group('prepare burrow', () => prepareNative((line) => core.info(line)));
  const { main } = await import('./run.js');
  code = await main(began);
} catch (error) {
  core.setOutput('exit-code', '125');
  core.setFailed(error instanceof BurrowError ? error.message : String((error as Error).stack ?? error));
  code = 1;
}
process.exitCode = code;
