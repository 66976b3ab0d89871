import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { listRecords, type ContainerRecord } from './record.js';
import { containerState, type ContainerState } from './state.js';
import { matchesHealthFilter } from './health.js';

/** A container as `ps` lists it: its record and its state now. */
export interface ContainerSummary {
  record: ContainerRecord;
  state: ContainerState;
}

/** The keys `ps --filter` knows, as Docker's. */
export type ContainerFilterKey = 'name' | 'id' | 'status' | 'label' | 'ancestor' | 'health';

/** One `ps --filter KEY=VALUE`: every filter given must match. */
export interface ContainerFilter {
  key: ContainerFilterKey;
  value: string;
}

export interface ListOptions {
  /** Stopped and created containers too (default: running ones; a status filter implies all). */
  all?: boolean;
  /** Filters as objects or in the CLI's spelling (`name=web`, `label=tier=db`). */
  filters?: ReadonlyArray<ContainerFilter | string>;
}

const KEYS: readonly string[] = ['name', 'id', 'status', 'label', 'ancestor', 'health'] satisfies ContainerFilterKey[];

/** `name=web`, `label=tier=db`, `status=exited`… (the first `=` splits key and value). */
export function parseContainerFilter(spec: string): ContainerFilter {
  const at = spec.indexOf('=');
  const [key, value] = at < 0 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)];
  if (!KEYS.includes(key)) throw new BurrowError('INVALID_ARGUMENT', `unknown filter "${key}": use name, id, status, label, ancestor or health`);
  return { key: key as ContainerFilterKey, value };
}

function matches(store: Store | undefined, { record, state }: ContainerSummary, { key, value }: ContainerFilter): boolean {
  switch (key) {
    case 'health':
      if (store === undefined) throw new BurrowError('INVALID_ARGUMENT', 'the health filter reads the containers\' health: pass the store to filterContainers');
      return matchesHealthFilter(store, record, state, value);
    case 'name': return record.name.includes(value);
    case 'id': return record.id.startsWith(value);
    case 'status': return state.status === value;
    case 'ancestor': return record.image.name.includes(value) || record.image.id.includes(value);
    case 'label': {
      const eq = value.indexOf('=');
      return eq < 0 ? value in record.labels : record.labels[value.slice(0, eq)] === value.slice(eq + 1);
    }
  }
}

/** The containers every filter matches (a filter given as text is parsed first); `health=` needs the store. */
export function filterContainers(containers: ContainerSummary[], filters: ReadonlyArray<ContainerFilter | string>, store?: Store): ContainerSummary[] {
  const parsed = filters.map((filter) => (typeof filter === 'string' ? parseContainerFilter(filter) : filter));
  // Docker's rule: filters of one key are alternatives (status=exited or status=created), different keys must all match.
  const byKey = new Map<ContainerFilterKey, ContainerFilter[]>();
  for (const filter of parsed) byKey.set(filter.key, [...(byKey.get(filter.key) ?? []), filter]);
  return containers.filter((summary) => [...byKey.values()].every((alternatives) => alternatives.some((filter) => matches(store, summary, filter))));
}

/**
 * `ps`: containers, newest first. `all` as a boolean is the older spelling
 * (`listContainers(store, true)`), kept for callers that have no filters.
 */
export function listContainers(store: Store, options: ListOptions | boolean = {}): ContainerSummary[] {
  const { all = false, filters = [] } = typeof options === 'boolean' ? { all: options } : options;
  const parsed = filters.map((filter) => (typeof filter === 'string' ? parseContainerFilter(filter) : filter));
  const withStopped = all || parsed.some((filter) => filter.key === 'status');
  const summaries = listRecords(store)
    .map((record) => ({ record, state: containerState(store, record) }))
    .filter((summary) => withStopped || summary.state.status === 'running')
    .sort((a, b) => b.record.created.localeCompare(a.record.created));
  return filterContainers(summaries, parsed, store);
}
