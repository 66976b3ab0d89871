import { BurrowError } from '../errors.js';

/** Waits, unless the signal fires first (then rejects as interrupted). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new BurrowError('INTERRUPTED', 'interrupted'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new BurrowError('INTERRUPTED', 'interrupted')); }, { once: true });
  });
}
