import { posix } from 'node:path';

/**
 * `.dockerignore` (Docker's reference, ".dockerignore file"): one pattern a line,
 * `#` lines are comments, `!` makes an exception, the last pattern that matches a
 * path decides. Patterns are cleaned and rooted at the context (a leading `/` is
 * dropped); `*` and `?` match within one path component, `[...]` a character class,
 * `**` any number of directories; a path is also matched when one of its parent
 * directories is (`node_modules` leaves out everything below it).
 */
interface Pattern {
  regex: RegExp;
  exception: boolean;
}

function toRegex(pattern: string): RegExp {
  let out = '^';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') {
      if (pattern[index + 1] === '*') {
        index++;
        if (pattern[index + 1] === '/') {
          index++;
          out += '(.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (char === '?') out += '[^/]';
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(index + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        index = end;
      }
    } else if (char === '\\' && index + 1 < pattern.length) out += pattern[++index]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(text: string) {
    this.patterns = text.split(/\r?\n/).flatMap((raw): Pattern[] => {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) return [];
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      const cleaned = posix.normalize(line).replace(/^(\.\.?\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
      if (cleaned === '' || cleaned === '.') return [];
      return [{ regex: toRegex(cleaned), exception }];
    });
  }

  /** Is `path` (relative to the context, `/`-separated) left out of the context? */
  ignores(path: string): boolean {
    const parts = path.split('/');
    const candidates = parts.map((_part, index) => parts.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const pattern of this.patterns) {
      if (candidates.some((candidate) => pattern.regex.test(candidate))) ignored = !pattern.exception;
    }
    return ignored;
  }

  /** Could an exception bring back something below `dir` (so a left-out directory is still walked)? */
  hasExceptions(): boolean {
    return this.patterns.some((pattern) => pattern.exception);
  }
}
