import { describe, expect, it } from 'vitest';
import { parseRunOptions, runLimits, splitWords } from '../../src/action/options.js';

describe('the Action\'s options input', () => {
  it('splits words as sh quotes them, and expands nothing', () => {
    expect(splitWords(`-e 'A=two words' -e "B=\\"q\\" \\$HOME" -v $PWD:/src  --label=x\\ y`)).toEqual(['-e', 'A=two words', '-e', 'B="q" $HOME', '-v', '$PWD:/src', '--label=x y']);
    expect(splitWords("-e ''")).toEqual(['-e', '']);
    expect(splitWords('  \n ')).toEqual([]);
    expect(() => splitWords('-e "A=1')).toThrow('options: a double quote is not closed');
  });

  it('parses the run flags it takes with the library\'s own parsers', () => {
    const settings = parseRunOptions('-e A=1 --env=B=2 -v /data:/data:ro --tmpfs /scratch -u 1000:1000 -w /src --network none --read-only --cap-drop ALL -l team=ci -m 256m --pids-limit 100');
    expect(settings.env).toEqual(['A=1', 'B=2']);
    expect(settings.volumes).toEqual([{ kind: 'bind', source: '/data', target: '/data', readOnly: true }, { kind: 'tmpfs', target: '/scratch' }]);
    expect(settings.user).toBe('1000:1000');
    expect(settings.workdir).toBe('/src');
    expect(settings.network).toBe('none');
    expect(settings.readOnly).toBe(true);
    expect(settings.capDrop).toEqual(['ALL']);
    expect(settings.labels).toEqual({ team: 'ci' });
    expect(settings.limitFlags).toEqual({ memory: '256m', pidsLimit: '100' });
  });

  it('lets the memory, cpus and pids-limit inputs win over the same flags in options', () => {
    const { limits } = runLimits({ memory: '256m', pidsLimit: '100' }, { memory: '1g' }, undefined, false);
    expect(limits.memory).toBe(1024 ** 3);
    expect(limits.pidsLimit).toBe(100);
  });

  it('refuses, in one line naming it, a flag it does not take or one without its value', () => {
    expect(() => parseRunOptions('--rm')).toThrow('options: --rm is not taken (the Action always removes its container)');
    expect(() => parseRunOptions('-it')).toThrow('options: "-it" is not one of the run flags the Action takes');
    expect(() => parseRunOptions('busybox')).toThrow('"busybox" is not one of the run flags');
    expect(() => parseRunOptions('-e')).toThrow('options: -e needs a value');
    expect(() => parseRunOptions('--read-only=yes')).toThrow('options: --read-only takes no value');
    expect(() => parseRunOptions('-v relative')).toThrow('invalid volume "relative"');
    expect(() => parseRunOptions('--storage-driver zfs')).toThrow('unknown --storage-driver "zfs"');
  });
});
