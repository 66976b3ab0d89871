/**
 * The Action's post step (action.yml: runs.post = dist/post.js, post-if: always()):
 * runs at the end of the job whatever happened to main, cancellation included, and
 * removes every container, network, mount and process main left (cleanup.ts), then
 * the credentials main saved. It reads only what main put in GITHUB_STATE.
 */
import { existsSync } from 'node:fs';
import * as core from '@actions/core';
import { Store } from '../store/store.js';
import { logout } from '../registry/login.js';
import { cleanUp } from './cleanup.js';
import { loadActionState } from './state.js';
// A stand-in for src/userns/'s reclaimOwnership until it is merged (see there).
import { reclaimOwnership } from '../userns/reclaim.js';

export async function post(): Promise<number> {
  const state = loadActionState();
  if (state === undefined) {
    core.info('burrow: main saved no state: nothing to clean up');
    return 0;
  }
  const store = new Store(state.root);
  const report = await core.group('clean up', async () => {
    const done = await cleanUp(store, state);
    core.info(`removed ${done.containers.length} container(s)${done.containers.length === 0 ? '' : `: ${done.containers.join(', ')}`}`);
    if (state.jobFile) core.info(`removed ${done.networks.length} network(s)${done.networks.length === 0 ? '' : `: ${done.networks.join(', ')}`}`);
    return done;
  });
  for (const failure of report.failures) core.warning(`burrow: not cleaned up: ${failure}`);
  // main gives the workspace back as it ends; one that was killed could not.
  if (state.finished === undefined && state.workspace !== undefined && existsSync(state.workspace)) {
    try {
      await core.group('workspace: give it back to the runner user', () => reclaimOwnership(state.workspace!));
    } catch (error) {
      core.warning(`burrow: ${(error as Error).message}`);
    }
  }
  if (state.loggedIn !== undefined) {
    try {
      if (await logout(state.loggedIn)) core.info(`logged out of ${state.loggedIn}`);
    } catch (error) {
      core.warning(`burrow: logout of ${state.loggedIn}: ${(error as Error).message}`);
    }
  }
  return 0;
}

process.exitCode = await post();
