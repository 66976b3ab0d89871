/**
 * Post's clean-up: every container main created (by the id it saved, and by its
 * label), and, for a job file (whose containers and network runJob makes), every
 * container and network made between main's start and its end, or now when main was
 * killed. Removing a container kills whatever of it still runs (its sandbox, its
 * monitor, its network helper) and undoes its mounts (they live in its own mount
 * namespace); files of subordinate ids go from inside the user namespace.
 */
import { listRecords } from '../container/record.js';
import { removeContainer } from '../container/ops.js';
import { listNetworks, removeNetwork } from '../network/records.js';
import type { Store } from '../store/store.js';
import { ACTION_LABEL, type ActionState } from './state.js';

export interface CleanupReport {
  containers: string[];
  networks: string[];
  failures: string[];
}

function inWindow(created: string, state: ActionState, now: Date): boolean {
  const at = Date.parse(created);
  return at >= Date.parse(state.started) && at <= (state.finished === undefined ? now.getTime() : Date.parse(state.finished));
}

export async function cleanUp(store: Store, state: ActionState, now = new Date()): Promise<CleanupReport> {
  const report: CleanupReport = { containers: [], networks: [], failures: [] };
  const mine = listRecords(store).filter((record) =>
    state.containers.includes(record.id) || record.labels[ACTION_LABEL] === state.token || (state.jobFile && inWindow(record.created, state, now)));
  for (const record of mine) {
    try {
      // rm kills a sandbox that outlived a SIGKILLed main too (container/start.ts: killOrphanedSandbox).
      await removeContainer(store, record.id, true, { volumes: true });
      report.containers.push(record.name);
    } catch (error) {
      report.failures.push(`container ${record.name}: ${(error as Error).message}`);
    }
  }
  if (state.jobFile) {
    for (const network of listNetworks(store).filter((candidate) => inWindow(candidate.created, state, now))) {
      try {
        removeNetwork(store, network.id);
        report.networks.push(network.name);
      } catch (error) {
        report.failures.push(`network ${network.name}: ${(error as Error).message}`);
      }
    }
  }
  return report;
}
