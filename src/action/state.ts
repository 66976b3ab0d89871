/**
 * What main hands to post. The runner keeps what main writes to GITHUB_STATE
 * (core.saveState) and gives it to post as `STATE_<name>` variables. Everything post
 * needs to clean up is saved *before* the thing it names exists, so a main that is
 * killed at any point (a cancelled job: SIGINT, SIGTERM after 7.5 s, then the process
 * tree killed) leaves post enough to find it; a value saved again replaces the last.
 */
import { getState, saveState } from '@actions/core';

export interface ActionState {
  /** The store main used. */
  root: string;
  /** Labelled on every container main creates: `burrow.action=<token>`. */
  token: string;
  /** When main began (ISO): containers and networks a job file's run made after it are its own. */
  started: string;
  /** When main ended, when it did; absent: it was killed. */
  finished?: string;
  /** Set when main ran a job file (whose containers runJob creates): post also removes by time. */
  jobFile: boolean;
  /** Containers main created itself, by id. */
  containers: string[];
  /** The workspace bound into the container: post gives it back to the runner user when main could not. */
  workspace?: string;
  /** The registry main logged in to, for post to log out of. */
  loggedIn?: string;
}

export const ACTION_LABEL = 'burrow.action';

export function saveActionState(state: ActionState): void {
  saveState('burrow', JSON.stringify(state));
}

export function loadActionState(): ActionState | undefined {
  const text = getState('burrow');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as ActionState;
  } catch {
    return undefined;
  }
}
