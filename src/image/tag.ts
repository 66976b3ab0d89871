import { BurrowError } from '../errors.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { upsertRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { isDangling, requireImage } from './local.js';

/**
 * `burrow tag SOURCE TARGET`: a second name for an image already in the store.
 * A name that pointed elsewhere moves (as Docker's); an untagged image loses its
 * `<none>` entry once it has a name.
 */
export async function tagImage(store: Store, source: string, target: string): Promise<string> {
  const image = requireImage(store, source);
  const ref = parseReference(target);
  if (ref.digest !== undefined) throw new BurrowError('INVALID_ARGUMENT', `cannot tag with a digest reference "${target}": give a name with an optional :tag`);
  const name = formatReference(ref);
  await store.updateRecords((records) => {
    upsertRecord(records, { ...image.record, name });
    for (let at = records.length - 1; at >= 0; at--) {
      const record = records[at]!;
      if (isDangling(record) && record.manifest.digest === image.record.manifest.digest) records.splice(at, 1);
    }
  });
  return name;
}
