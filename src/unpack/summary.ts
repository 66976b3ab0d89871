import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { userNamespaceFailure } from '../userns/failure.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { unshareProgram } from '../util/host-tools.js';
import { runToEnd } from '../util/spawn.js';
import type { LayerSummary } from './layer-info.js';

// Relative to a sibling folder so it holds from build/unpack/ and from the CLI bundle alike.
export const EXTRACTOR_BINARY = fileURLToPath(new URL('../native/burrow-unpack', import.meta.url));

/**
 * What the layer directory `dir` holds now, counted the way the extractor counted
 * it when it wrote the layer (`burrow-unpack summarize`, inside the user
 * namespace: the files belong to mapped ids, some unreadable from outside).
 */
export async function summarizeLayer(dir: string, mapping: IdMapping): Promise<LayerSummary> {
  const result = await runToEnd(unshareProgram(), [...unshareArgs(mapping), '--', EXTRACTOR_BINARY, 'summarize', dir], { ownGroup: true });
  if (result.exitCode !== 0) {
    throw new BurrowError('IO', `cannot read layer ${dir}: ${userNamespaceFailure(result.stderr) ?? (result.stderr.trim().split('\n')[0] || result.error?.message || 'the extractor failed')}`);
  }
  return (JSON.parse(result.stdout) as { summary: LayerSummary }).summary;
}
