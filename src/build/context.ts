import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { join, posix, relative as relativePath, sep } from 'node:path';
import { BurrowError } from '../errors.js';
import { DockerIgnore } from './dockerignore.js';

/**
 * The build context: the directory COPY and ADD read from, less what
 * `.dockerignore` (or Podman's `.containerignore`) leaves out. Every source
 * is confined to it (Docker's rule): `COPY ../x` is refused, and so is a source
 * that reaches outside through a symbolic link of the context
 * (`secrets -> /home/me/.ssh`), whose files would otherwise end up in an image
 * that may be pushed. Links met inside a copied
 * directory are copied as links, never followed.
 */
export interface ContextFile {
  /** Path relative to the context root, `/`-separated ('' for the root). */
  path: string;
  host: string;
  stats: Stats;
}

/** One component of a COPY source: Go's filepath.Match (`*`, `?`, `[...]`, `\` escapes). */
function componentRegex(pattern: string): RegExp {
  let out = '^';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${pattern.slice(index + 1, end).replace(/^\^|^!/, '^').replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else if (char === '\\' && index + 1 < pattern.length) out += pattern[++index]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${out}$`, 's');
}

const hasGlob = (text: string): boolean => /[*?[]/.test(text);

export class BuildContext {
  readonly root: string;
  readonly ignore: DockerIgnore;

  constructor(dir: string) {
    let root: string;
    try {
      root = realpathSync(dir);
    } catch {
      throw new BurrowError('NOT_FOUND', `the build context ${dir} does not exist: give a directory`);
    }
    if (!lstatSync(root).isDirectory()) throw new BurrowError('INVALID_ARGUMENT', `the build context ${dir} is not a directory`);
    this.root = root;
    // Podman's .containerignore first, else Docker's .dockerignore.
    const ignoreFile = ['.containerignore', '.dockerignore'].map((name) => join(root, name)).find((path) => existsSync(path));
    this.ignore = new DockerIgnore(ignoreFile === undefined ? '' : readFileSync(ignoreFile, 'utf8'));
  }

  /**
   * The context's files a COPY source names (wildcards expanded), each confined to
   * the context; none (not there, or left out by .dockerignore) is an error.
   */
  sources(source: string, what: string): ContextFile[] {
    const normalized = posix.normalize(source.replace(/^\/+/, '') || '.');
    if (normalized === '..' || normalized.startsWith('../')) {
      throw new BurrowError('INVALID_ARGUMENT', `${what}: forbidden path outside the build context: ${source}`);
    }
    const parts = normalized === '.' ? [] : normalized.split('/');
    let candidates = [''];
    for (const part of parts) {
      const next: string[] = [];
      for (const candidate of candidates) {
        if (!hasGlob(part)) {
          next.push(candidate === '' ? part : `${candidate}/${part}`);
          continue;
        }
        const dir = this.confined(candidate, what, source);
        let names: string[];
        try {
          names = readdirSync(dir).sort();
        } catch {
          continue;
        }
        const regex = componentRegex(part);
        for (const name of names) if (regex.test(name)) next.push(candidate === '' ? name : `${candidate}/${name}`);
      }
      candidates = next;
    }
    const found: ContextFile[] = [];
    for (const candidate of candidates) {
      const host = this.confined(candidate, what, source);
      const stats = lstatSync(host, { throwIfNoEntry: false });
      if (stats === undefined) continue;
      const path = relativePath(this.root, host).split(sep).join('/');
      if (path !== '' && this.ignore.ignores(path)) continue;
      found.push({ path, host, stats });
    }
    if (found.length === 0) {
      throw new BurrowError('NOT_FOUND', `${what}: file not found in build context or excluded by .dockerignore: ${source}`);
    }
    return found;
  }

  /**
   * The host path of `relative`, its links followed, checked to stay in the context
   * (a link leading out of it is refused: a context is no way to read the host).
   */
  private confined(relative: string, what: string, source: string): string {
    const lexical = join(this.root, relative);
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch {
      // Not there: but a link on its way might already lead out.
      const parent = realpathSafe(join(lexical, '..'));
      if (parent !== undefined && !this.inside(parent)) throw outside(what, source);
      return lexical;
    }
    if (!this.inside(real)) throw outside(what, source);
    return real;
  }

  private inside(path: string): boolean {
    return path === this.root || path.startsWith(`${this.root}/`);
  }

  /** Everything below the directory `dir` (not followed through links), less what .dockerignore leaves out; parents before children. */
  walk(dir: ContextFile): ContextFile[] {
    const found: ContextFile[] = [];
    const visit = (host: string, path: string): boolean => {
      let kept = false;
      for (const name of readdirSync(host).sort()) {
        const childHost = join(host, name);
        const childPath = path === '' ? name : `${path}/${name}`;
        const stats = lstatSync(childHost);
        const ignored = this.ignore.ignores(childPath);
        if (stats.isDirectory()) {
          if (ignored && !this.ignore.hasExceptions()) continue;
          const at = found.length;
          found.push({ path: childPath, host: childHost, stats });
          const below = visit(childHost, childPath);
          if (ignored && !below) found.splice(at, 1);
          else kept = true;
        } else if (!ignored && (stats.isFile() || stats.isSymbolicLink())) {
          found.push({ path: childPath, host: childHost, stats });
          kept = true;
        }
        // Sockets, FIFOs and devices of the context are not copied (Docker cannot send them either).
      }
      return kept;
    };
    visit(dir.host, dir.path);
    return found;
  }

  readLink(file: ContextFile): string {
    return readlinkSync(file.host);
  }
}

function outside(what: string, source: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `${what}: ${source} leads outside the build context (through a symbolic link): copy the files into the context instead`);
}

function realpathSafe(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
