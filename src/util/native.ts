import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where burrow's own C helpers are: build/native beside the built modules; from the
 * sources (the unit tests import them), the build's.
 */
export function nativeBinary(name: string): string {
  const beside = fileURLToPath(new URL(`../native/${name}`, import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL(`../../build/native/${name}`, import.meta.url));
}
