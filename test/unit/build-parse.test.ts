import { describe, expect, it } from 'vitest';
import { DockerIgnore } from '../../src/build/dockerignore.js';
import { parseDockerfile } from '../../src/build/parse.js';
import { processPairs, processWord, processWords } from '../../src/build/words.js';

describe('parseDockerfile', () => {
  it('joins continuations, drops comments inside them, keeps the first line number', () => {
    const file = parseDockerfile('# syntax=docker/dockerfile:1\nFROM busybox\n\n# a comment\nrun echo a \\\n# inside\n  && echo b \\  \n\n  && echo c\nCMD ["sh", "-c", "echo"]\n');
    expect(file.instructions.map((instruction) => [instruction.keyword, instruction.line])).toEqual([['FROM', 2], ['RUN', 5], ['CMD', 10]]);
    expect(file.instructions[1]!.args).toBe('echo a   && echo b   && echo c');
    expect(file.instructions[2]!.json).toEqual(['sh', '-c', 'echo']);
  });

  it('honours # escape=` (a Windows-style Dockerfile)', () => {
    const file = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\n');
    expect(file.escape).toBe('`');
    expect(file.instructions[1]!.args).toBe('echo a   b');
  });

  it('reads flags and refuses the ones burrow does not build with', () => {
    const file = parseDockerfile('FROM busybox\nCOPY --chown=1:2 --chmod=755 a /b\n');
    expect([...file.instructions[1]!.flags]).toEqual([['chown', '1:2'], ['chmod', '755']]);
    expect(file.instructions[1]!.args).toBe('a /b');
    expect(() => parseDockerfile('FROM busybox\nCOPY --from=x a b\n')).toThrow(/line 2: COPY: --from is not supported/);
    expect(() => parseDockerfile('FROM busybox\nRUN --mount=type=cache,target=/x true\n')).toThrow(/line 2: RUN: --mount/);
    expect(() => parseDockerfile('FROM busybox\nCOPY --bogus a b\n')).toThrow(/unknown flag --bogus/);
  });

  it('refuses multi-stage builds, ONBUILD, heredocs and unknown instructions by line', () => {
    expect(() => parseDockerfile('FROM a AS b\n')).toThrow(/line 1: FROM: multi-stage/);
    expect(() => parseDockerfile('FROM a\nFROM b\n')).toThrow(/line 2: FROM: multi-stage/);
    expect(() => parseDockerfile('FROM a\nONBUILD RUN x\n')).toThrow(/line 2: ONBUILD/);
    expect(() => parseDockerfile('FROM a\nRUN <<EOF\nx\nEOF\n')).toThrow(/line 2: RUN: heredocs/);
    expect(() => parseDockerfile('FROM a\nFROBNICATE x\n')).toThrow(/line 2: FROBNICATE: unknown instruction/);
    expect(() => parseDockerfile('RUN x\n')).toThrow(/no FROM/);
    expect(() => parseDockerfile('ENV A=1\nFROM a\n')).toThrow(/line 1: ENV: only ARG/);
  });

  it('takes a shell form that is not a JSON array as such', () => {
    const file = parseDockerfile('FROM a\nCMD [not json\n');
    expect(file.instructions[1]!.json).toBeUndefined();
  });
});

describe('variable substitution', () => {
  const vars = new Map([['A', 'one'], ['EMPTY', ''], ['SPACED', 'x y']]);
  it('substitutes $A, ${A} and the modifiers', () => {
    expect(processWord('$A-${A}', vars)).toBe('one-one');
    expect(processWord('${MISSING:-def} ${EMPTY:-def} ${EMPTY-def}', vars)).toBe('def def ');
    expect(processWord('${A:+set} ${MISSING:+set}', vars)).toBe('set ');
    expect(() => processWord('${MISSING:?is required}', vars)).toThrow(/MISSING: is required/);
  });
  it('keeps single quotes literal, escapes $, removes quotes', () => {
    expect(processWord(`'$A' "$A" \\$A "a\\"b"`, vars)).toBe('$A one $A a"b');
  });
  it('never splits a value into words', () => {
    expect(processWords('$SPACED "b c" d', vars)).toEqual(['x y', 'b c', 'd']);
  });
  it('reads KEY=VALUE pairs and the old KEY VALUE form', () => {
    expect(processPairs('A=1 B="two words" C=$A', vars)).toEqual([['A', '1'], ['B', 'two words'], ['C', 'one']]);
    expect(processPairs('KEY a value with spaces', vars)).toEqual([['KEY', 'a value with spaces']]);
    expect(processPairs('NAME OTHER=2', vars, '\\', true)).toEqual([['NAME', undefined], ['OTHER', '2']]);
  });
});

describe('.dockerignore', () => {
  it('matches as Docker: parents, **, exceptions, last match wins', () => {
    const ignore = new DockerIgnore('# comment\n/node_modules\n**/*.log\nsecret\n!secret/keep\n*.tmp\n');
    expect(ignore.ignores('node_modules/x/y.js')).toBe(true);
    expect(ignore.ignores('a/b/c.log')).toBe(true);
    expect(ignore.ignores('c.log')).toBe(true);
    expect(ignore.ignores('secret/key')).toBe(true);
    expect(ignore.ignores('secret/keep')).toBe(false);
    expect(ignore.ignores('x.tmp')).toBe(true);
    // `*` stays within one component.
    expect(ignore.ignores('dir/x.tmp')).toBe(false);
    expect(ignore.ignores('src/main.ts')).toBe(false);
  });
});
