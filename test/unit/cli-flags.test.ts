import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { explicitBooleans } from '../../src/cli/booleans.js';
import { withContainerOptions } from '../../src/cli/run.js';
import { parseByteSize, parseDetachKeys, parseDevice, parseLogOptions, parseStopSignal, parseUlimit, parseVolume } from '../../src/container/specs.js';
import { parseVolumeOptions } from '../../src/container/volumes.js';

describe('Docker\'s spellings of issue 14\'s flag values', () => {
  it('-v: anonymous volumes, ro/rw with z/Z, and the errors', () => {
    expect(parseVolume('/data')).toEqual({ kind: 'volume', name: '', anonymous: true, target: '/data', readOnly: false });
    expect(parseVolume('/host:/c:z')).toEqual({ kind: 'bind', source: '/host', target: '/c', readOnly: false });
    expect(parseVolume('/host:/c:ro,Z')).toEqual({ kind: 'bind', source: '/host', target: '/c', readOnly: true });
    expect(parseVolume('name:/c:Z,ro')).toEqual({ kind: 'volume', name: 'name', target: '/c', readOnly: true });
    expect(() => parseVolume('/host:/c:ro,rw')).toThrow(/exclude each other/);
    expect(() => parseVolume('/host:/c:shared')).toThrow(/mode "shared"/);
    expect(() => parseVolume('data')).toThrow(/expected/);
  });

  it('byte sizes as go-units reads them (fractions, units, b and ib)', () => {
    expect(parseByteSize('1.5m')).toBe(1572864);
    expect(parseByteSize('10')).toBe(10);
    expect(parseByteSize('2kb')).toBe(2048);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
    expect(parseByteSize('1.5.5m')).toBeUndefined();
    expect(parseLogOptions(['max-size=1.5m'])).toBe(1572864);
    // max-file is parseLogMaxFiles's; an unknown option is refused.
    expect(parseLogOptions(['max-file=3'])).toBeUndefined();
    expect(() => parseLogOptions(['max-files=3'])).toThrow(/max-size/);
    expect(() => parseLogOptions(['max-size=0'])).toThrow(/max-size/);
  });

  it('--ulimit, --device, --stop-signal, --detach-keys', () => {
    expect(parseUlimit('nofile=1024:2048')).toEqual({ name: 'nofile', soft: 1024, hard: 2048 });
    expect(parseUlimit('core=-1')).toEqual({ name: 'core', soft: -1, hard: -1 });
    expect(() => parseUlimit('nofile=10:5')).toThrow(/above the hard limit/);
    expect(() => parseUlimit('files=1')).toThrow(/invalid --ulimit/);
    expect(parseDevice('/dev/fuse')).toEqual({ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' });
    expect(parseDevice('/dev/null:/dev/x:r')).toEqual({ source: '/dev/null', target: '/dev/x', permissions: 'r' });
    expect(() => parseDevice('null')).toThrow(/invalid --device/);
    expect(parseStopSignal('usr1')).toBe('SIGUSR1');
    expect(parseStopSignal('SIGRTMIN+3')).toBe('SIGRTMIN+3');
    expect(parseStopSignal('9')).toBe('9');
    expect(() => parseStopSignal('SIGNOPE')).toThrow(/--stop-signal/);
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual(['ctrl-p', 'ctrl-q']);
    expect(parseDetachKeys('a,ctrl-@')).toEqual(['a', 'ctrl-@']);
    expect(() => parseDetachKeys('ctrl-pp')).toThrow(/--detach-keys/);
  });

  it('volume create -o: repeated or comma-joined, tmpfs and bind, nothing that needs a host mount', () => {
    const expected = { type: 'tmpfs', device: 'tmpfs', o: 'size=64m,mode=1777' };
    expect(parseVolumeOptions(['type=tmpfs', 'device=tmpfs', 'o=size=64m,mode=1777'])).toEqual(expected);
    expect(parseVolumeOptions(['type=tmpfs,device=tmpfs,o=size=64m,mode=1777'])).toEqual(expected);
    expect(parseVolumeOptions(['type=none', 'o=bind', 'device=/srv'])).toEqual({ type: 'none', o: 'bind', device: '/srv' });
    expect(() => parseVolumeOptions(['type=nfs', 'o=addr=1.2.3.4', 'device=:/x'])).toThrow(/cannot make/);
    expect(() => parseVolumeOptions(['type=tmpfs', 'o=exec'])).toThrow(/unsupported tmpfs option "exec"/);
    expect(() => parseVolumeOptions(['size=1m'])).toThrow(/unknown volume option "size"/);
  });
});

describe('-t=false: Go flag values on boolean flags', () => {
  const program = (): Command => {
    const root = new Command('burrow').option('--root <dir>').enablePositionalOptions();
    root.addCommand(withContainerOptions(new Command('run')).option('-d, --detach'));
    const group = new Command('container').enablePositionalOptions();
    group.addCommand(withContainerOptions(new Command('run')));
    root.addCommand(group);
    return root;
  };

  it('=true is the flag, =false drops it; options with values keep theirs', () => {
    expect(explicitBooleans(program(), ['run', '-t=false', '--rm=true', '-e', 'X=true', '--init=FALSE', 'img', 'sh'])).toEqual(['run', '--rm', '-e', 'X=true', 'img', 'sh']);
    expect(explicitBooleans(program(), ['--root', '/r', 'run', '-d=true', '--name=x', 'img'])).toEqual(['--root', '/r', 'run', '-d', '--name=x', 'img']);
    // After the global --log-level and its value too.
    expect(explicitBooleans(program(), ['--log-level', 'debug', 'run', '-t=false', '--rm=true', 'img'])).toEqual(['--log-level', 'debug', 'run', '--rm', 'img']);
    expect(explicitBooleans(program(), ['container', 'run', '-i=true', 'img'])).toEqual(['container', 'run', '-i', 'img']);
  });

  it('stops at the image: the container\'s own arguments are never rewritten', () => {
    expect(explicitBooleans(program(), ['run', '-it', 'img', 'sh', '-c', 'x', '-t=false'])).toEqual(['run', '-it', 'img', 'sh', '-c', 'x', '-t=false']);
    // -e's value is the next argument, not the image.
    expect(explicitBooleans(program(), ['run', '-e', '-t=false', 'img', '--rm=true'])).toEqual(['run', '-e', '-t=false', 'img', '--rm=true']);
    // A value flag's own `=false` is its value.
    expect(explicitBooleans(program(), ['run', '--name=false', 'img'])).toEqual(['run', '--name=false', 'img']);
  });
});
