import { timeAgo } from '../util/time.js';
import type { ContainerState } from './state.js';

/** Docker's STATUS column: "Up 3 minutes (Paused)", "Created", "Exited (0) 2 hours ago". */
export function statusText(state: Pick<ContainerState, 'status' | 'exitCode' | 'startedAt' | 'finishedAt' | 'paused'>, now = Date.now()): string {
  if (state.status === 'running') return `Up ${timeAgo(state.startedAt, now).replace(/ ago$/, '')}${state.paused ? ' (Paused)' : ''}`;
  if (state.status === 'created') return 'Created';
  return `Exited (${state.exitCode ?? -1}) ${timeAgo(state.finishedAt, now)}`;
}
