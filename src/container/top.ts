import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { findContainer } from './record.js';
import { containerState } from './state.js';

export interface ProcessRow {
  pid: number;
  ppid: number;
  uid: number;
  state: string;
  command: string;
}

/** The host's processes that live in the container's pid namespace (`burrow top`). */
export function containerProcesses(store: Store, query: string): ProcessRow[] {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status !== 'running' || state.sandbox === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running`);
  const namespace = readlinkSync(`/proc/${state.sandbox.pid}/ns/pid`);
  const rows: ProcessRow[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      rows.push({ pid: Number(entry), ppid: Number(field('PPid')), uid: Number(field('Uid').split(/\s+/)[0]), state: field('State').split(' ')[0] ?? '', command });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return rows;
}
