import { BurrowError } from '../errors.js';
import { requireImage } from '../image/local.js';
import { inspectImage } from '../image/summary.js';
import type { Store } from '../store/store.js';
import { inspectContainer } from './ops.js';
import { findContainer } from './record.js';

/**
 * `burrow inspect NAME`: a container's details, or else an image's (Docker's order:
 * a container of that name wins over an image); `type` looks for one kind only.
 */
export function inspectObject(store: Store, name: string, type?: 'container' | 'image'): Record<string, unknown> {
  if (type !== 'image') {
    try {
      return inspectContainer(store, findContainer(store, name));
    } catch (error) {
      if (!(error instanceof BurrowError && error.code === 'NOT_FOUND')) throw error;
      if (type === 'container') throw new BurrowError('NOT_FOUND', `no such container: ${name}`);
    }
  }
  try {
    return inspectImage(store, requireImage(store, name));
  } catch {
    throw new BurrowError('NOT_FOUND', type === 'image' ? `no such image: ${name}` : `no such object: ${name}`);
  }
}
