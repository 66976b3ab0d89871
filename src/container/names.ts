import { randomBytes } from '../util/random.js';

const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'sharp', 'swift', 'tender', 'vivid', 'wise', 'zealous', 'bold'];
const ANIMALS = ['badger', 'beaver', 'hedgehog', 'marmot', 'mole', 'otter', 'rabbit', 'vole', 'wombat', 'fox', 'ferret', 'gopher', 'meerkat', 'armadillo', 'chipmunk', 'prairiedog', 'aardvark', 'puffin', 'kingfisher', 'platypus'];

/** 64 hex digits, as Docker's container ids. */
export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/** `adjective_animal`, Docker's style of generated names (burrowing animals here). */
export function generatedName(taken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pick = <T>(list: readonly T[]): T => list[randomBytes(1)[0]! % list.length]!;
    const name = `${pick(ADJECTIVES)}_${pick(ANIMALS)}${attempt > 10 ? randomBytes(1)[0] : ''}`;
    if (!taken(name)) return name;
  }
  return `burrow_${randomBytes(4).toString('hex')}`;
}

/** Docker's rule for --name. */
export const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
