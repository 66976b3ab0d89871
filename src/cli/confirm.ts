import { createInterface } from 'node:readline/promises';
import { BurrowError } from '../errors.js';

/**
 * Docker's question before a prune deletes anything: `WARNING! This will remove …`
 * then `Are you sure you want to continue? [y/N]` on a terminal, where only y or yes
 * goes on. Without a terminal nobody can answer: the prune is refused (a script says
 * --force), so that a pipeline never deletes what its author did not ask for.
 * Resolves false on any other answer, an empty one or the end of input.
 */
export async function confirmPrune(what: string, warning: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) {
    throw new BurrowError('INVALID_ARGUMENT', `refusing to ${what} without confirmation: not on a terminal, so pass --force`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const ended = new Promise<string>((resolve) => prompt.once('close', () => resolve('')));
  try {
    const answer = await Promise.race([prompt.question(`WARNING! This will remove ${warning}\nAre you sure you want to continue? [y/N] `), ended]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** What a declined prune says (Docker: "… has been cancelled"), with exit status 1: nothing was removed. */
export function pruneCancelled(what: string): BurrowError {
  return new BurrowError('INTERRUPTED', `${what} cancelled: nothing was removed`, { exitCode: 1 });
}
