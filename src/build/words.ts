import { BurrowError } from '../errors.js';

/**
 * Variable substitution and quoting in a Dockerfile's arguments, as Docker's
 * reference describes them ("Environment replacement"): `$NAME` and `${NAME}`,
 * `${NAME:-word}` / `${NAME-word}` (word when unset or empty / unset),
 * `${NAME:+word}` / `${NAME+word}` (word when set), `${NAME:?message}` /
 * `${NAME?message}` (an error when unset); single quotes keep everything literal,
 * double quotes group and still substitute, the escape character makes the next
 * character literal (`\$NAME` stays `$NAME`). Used for ADD, COPY, ENV, EXPOSE,
 * FROM, LABEL, STOPSIGNAL, USER, VOLUME and WORKDIR; RUN, CMD and ENTRYPOINT are
 * left to the shell.
 */
export type Variables = ReadonlyMap<string, string>;

interface Lexer {
  text: string;
  at: number;
  escape: string;
  variables: Variables;
}

function fail(text: string, why: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `cannot substitute variables in "${text}": ${why}`);
}

/** After a `$`: the variable's value (with its modifier applied). */
function variable(lexer: Lexer): string {
  const { text } = lexer;
  if (text[lexer.at] === '{') {
    lexer.at++;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(lexer.at))?.[0];
    if (name === undefined) throw fail(text, 'a ${...} without a variable name');
    lexer.at += name.length;
    const value = lexer.variables.get(name);
    if (text[lexer.at] === '}') {
      lexer.at++;
      return value ?? '';
    }
    const modifier = /^(:?[-+?])/.exec(text.slice(lexer.at))?.[1];
    if (modifier === undefined) throw fail(text, `unsupported modifier after \${${name}`);
    lexer.at += modifier.length;
    // The word may itself hold variables and quotes: it is read up to the matching }.
    const word = readWord(lexer, '}');
    if (text[lexer.at] !== '}') throw fail(text, `missing } after \${${name}`);
    lexer.at++;
    const unsetOrEmpty = value === undefined || (modifier.startsWith(':') && value === '');
    switch (modifier.replace(':', '')) {
      case '-':
        return unsetOrEmpty ? word : value!;
      case '+':
        return unsetOrEmpty ? '' : word;
      default:
        if (unsetOrEmpty) throw new BurrowError('INVALID_ARGUMENT', `${name}: ${word === '' ? 'is not set' : word}`);
        return value!;
    }
  }
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(lexer.at))?.[0];
  if (name === undefined) return '$';
  lexer.at += name.length;
  return lexer.variables.get(name) ?? '';
}

/** Characters up to `stop` (or the end), quotes removed and variables substituted. */
function readWord(lexer: Lexer, stop: string | undefined): string {
  const { text, escape } = lexer;
  let out = '';
  while (lexer.at < text.length) {
    const char = text[lexer.at]!;
    if (stop !== undefined && char === stop) break;
    lexer.at++;
    if (char === escape) {
      if (lexer.at < text.length) out += text[lexer.at++];
      else out += char;
    } else if (char === "'") {
      const end = text.indexOf("'", lexer.at);
      if (end < 0) throw fail(text, 'unmatched \'');
      out += text.slice(lexer.at, end);
      lexer.at = end + 1;
    } else if (char === '"') {
      for (;;) {
        if (lexer.at >= text.length) throw fail(text, 'unmatched "');
        const inner = text[lexer.at++]!;
        if (inner === '"') break;
        if (inner === escape && lexer.at < text.length) {
          const next = text[lexer.at]!;
          // Inside double quotes only the quote, `$` and the escape itself are escaped.
          if (next === '"' || next === '$' || next === escape) {
            out += next;
            lexer.at++;
          } else out += inner;
        } else if (inner === '$') out += variable(lexer);
        else out += inner;
      }
    } else if (char === '$') out += variable(lexer);
    else out += char;
  }
  return out;
}

/** One word: quotes removed, variables substituted, whitespace kept (WORKDIR, USER, an old-form ENV's value). */
export function processWord(text: string, variables: Variables, escape = '\\'): string {
  return readWord({ text, at: 0, escape, variables }, undefined);
}

/**
 * The raw words of `text`, split at whitespace outside quotes, quotes and escapes
 * kept (each is then given to processWord): Docker's split before substitution,
 * so that a variable's value never splits into several words.
 */
export function splitWords(text: string, escape = '\\'): string[] {
  const found: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote === undefined && /\s/.test(char)) {
      if (current !== '') found.push(current);
      current = '';
      continue;
    }
    current += char;
    if (char === escape && quote !== "'" && index + 1 < text.length) current += text[++index];
    else if (quote === undefined && (char === '"' || char === "'")) quote = char;
    else if (char === quote) quote = undefined;
  }
  if (current !== '') found.push(current);
  return found;
}

/** Words, each processed: COPY's sources, EXPOSE's ports, VOLUME's paths. */
export function processWords(text: string, variables: Variables, escape = '\\'): string[] {
  return splitWords(text, escape).map((word) => processWord(word, variables, escape));
}

/**
 * ENV, LABEL and ARG: `KEY=VALUE` pairs (several on a line, values quoted as
 * needed), or the old `KEY VALUE` form (one pair, the value the rest of the
 * line). `allowBare`: ARG's `NAME` without a value.
 */
export function processPairs(text: string, variables: Variables, escape = '\\', allowBare = false): Array<[string, string | undefined]> {
  const words = splitWords(text, escape);
  if (words.length === 0) throw new BurrowError('INVALID_ARGUMENT', 'it names nothing');
  if (!words[0]!.includes('=') && !allowBare) {
    const key = words[0]!;
    const rest = text.trim().slice(key.length).trim();
    if (rest === '') throw new BurrowError('INVALID_ARGUMENT', `${key} has no value (KEY=VALUE or KEY VALUE)`);
    return [[processWord(key, variables, escape), processWord(rest, variables, escape)]];
  }
  return words.map((word): [string, string | undefined] => {
    const at = word.indexOf('=');
    if (at < 0) {
      if (allowBare) return [processWord(word, variables, escape), undefined];
      throw new BurrowError('INVALID_ARGUMENT', `"${word}" is not KEY=VALUE`);
    }
    if (at === 0) throw new BurrowError('INVALID_ARGUMENT', `"${word}" has no name before its =`);
    return [processWord(word.slice(0, at), variables, escape), processWord(word.slice(at + 1), variables, escape)];
  });
}
