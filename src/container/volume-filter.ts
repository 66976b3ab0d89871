/**
 * `volume ls --filter`, as Docker's: name= (a part of the name), label=KEY[=VALUE],
 * dangling=true|false (no container uses it), driver= (only "local" here).
 * Filters of one key are alternatives; different keys must all match.
 */
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { volumeUsers, type VolumeRecord } from './volumes.js';

const KEYS = ['name', 'label', 'dangling', 'driver'] as const;
type VolumeFilterKey = (typeof KEYS)[number];

export function filterVolumes(store: Store, volumes: VolumeRecord[], specs: string[]): VolumeRecord[] {
  const byKey = new Map<VolumeFilterKey, string[]>();
  for (const spec of specs) {
    const at = spec.indexOf('=');
    const key = at < 0 ? spec : spec.slice(0, at);
    if (!(KEYS as readonly string[]).includes(key)) throw new BurrowError('INVALID_ARGUMENT', `invalid filter "${key}": volumes filter on name, label, dangling or driver`);
    const value = at < 0 ? '' : spec.slice(at + 1);
    if (key === 'dangling' && !['true', 'false', '1', '0'].includes(value)) throw new BurrowError('INVALID_ARGUMENT', `invalid filter 'dangling=${value}': use true or false`);
    byKey.set(key as VolumeFilterKey, [...(byKey.get(key as VolumeFilterKey) ?? []), value]);
  }
  const matches = (volume: VolumeRecord, key: VolumeFilterKey, value: string): boolean => {
    switch (key) {
      case 'name':
        return volume.Name.includes(value);
      case 'driver':
        return volume.Driver === value;
      case 'dangling':
        return (volumeUsers(store, volume).length === 0) === (value === 'true' || value === '1');
      case 'label': {
        const at = value.indexOf('=');
        return at < 0 ? Object.hasOwn(volume.Labels, value) : volume.Labels[value.slice(0, at)] === value.slice(at + 1);
      }
    }
  };
  return volumes.filter((volume) => [...byKey].every(([key, values]) => values.some((value) => matches(volume, key, value))));
}
