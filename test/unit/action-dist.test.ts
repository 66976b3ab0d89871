import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * dist/ (the GitHub Action's committed bundle) is exactly what scripts/build-action.mjs
 * makes from the sources today: a change to src/ (or native/, the schemas, the
 * seccomp profile, package.json's cc lines) without `npm run build:action` fails here.
 * Needs build/ (npm run build), as the bundle takes the compiled schemas and filters from it.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const fresh = mkdtempSync(join(tmpdir(), 'burrow-dist-'));

afterAll(() => rmSync(fresh, { recursive: true, force: true }));

/** Committed files only: the helpers compiled at first use (lib/native) are not part of the bundle. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => !path.startsWith('lib/native') && !path.startsWith('lib/.native-build-') && statSync(join(dir, path)).isFile())
    .sort();
}

describe('the Action\'s bundle', () => {
  it('is byte for byte a fresh build (run npm run build:action and commit dist/)', async () => {
    const built = await execa(process.execPath, [join(REPO, 'scripts/build-action.mjs'), fresh], { reject: false });
    expect(built.exitCode, String(built.stderr)).toBe(0);
    expect(files(join(REPO, 'dist'))).toEqual(files(fresh));
    const differing = files(fresh).filter((path) => !readFileSync(join(fresh, path)).equals(readFileSync(join(REPO, 'dist', path))));
    expect(differing, 'dist/ is stale: npm run build:action, then commit dist/').toEqual([]);
  }, 120_000);
});
