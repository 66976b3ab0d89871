import { describe, expect, it } from 'vitest';
import { applyChanges, parseChange } from '../../src/image/changes.js';

/** `commit --change`: Dockerfile instructions on an image's config, as Docker's builder applies them. */
const apply = (config: Parameters<typeof applyChanges>[0], ...changes: string[]) => applyChanges(config, changes.map(parseChange));

describe('commit --change', () => {
  it('takes the JSON and the shell forms of CMD and ENTRYPOINT', () => {
    expect(apply({}, 'CMD ["echo", "a b"]').Cmd).toEqual(['echo', 'a b']);
    expect(apply({}, 'CMD echo "a b"').Cmd).toEqual(['/bin/sh', '-c', 'echo "a b"']);
    expect(apply({}, 'ENTRYPOINT ["/bin/app"]').Entrypoint).toEqual(['/bin/app']);
    // Not a JSON array of strings: the shell form, as Docker reads it.
    expect(apply({}, 'CMD [1, 2]').Cmd).toEqual(['/bin/sh', '-c', '[1, 2]']);
  });

  it('drops the inherited CMD with a new ENTRYPOINT, unless CMD is given too', () => {
    expect(apply({ Cmd: ['old'] }, 'ENTRYPOINT ["cat"]').Cmd).toBeNull();
    expect(apply({ Cmd: ['old'] }, 'ENTRYPOINT ["cat"]', 'CMD ["/f"]').Cmd).toEqual(['/f']);
  });

  it('sets ENV in both forms, replacing a variable of the same name', () => {
    expect(apply({ Env: ['PATH=/bin', 'A=1'] }, 'ENV A=2 B="two words"', 'ENV C some value').Env).toEqual(['PATH=/bin', 'A=2', 'B=two words', 'C=some value']);
    expect(apply({}, 'ENV=X=1').Env).toEqual(['X=1']);
  });

  it('adds LABEL, EXPOSE and VOLUME entries to those of the image', () => {
    const config = apply({ Labels: { a: '1' }, ExposedPorts: { '80/tcp': {} } }, 'LABEL b=2 "c d"="e f"', 'EXPOSE 443 53/udp', 'VOLUME ["/data", "/cache"]', 'VOLUME /logs');
    expect(config.Labels).toEqual({ a: '1', b: '2', 'c d': 'e f' });
    expect(Object.keys(config.ExposedPorts!)).toEqual(['80/tcp', '443/tcp', '53/udp']);
    expect(Object.keys(config.Volumes!)).toEqual(['/data', '/cache', '/logs']);
  });

  it('resolves a relative WORKDIR against the current one, and sets USER, STOPSIGNAL and ONBUILD', () => {
    const config = apply({ WorkingDir: '/app' }, 'WORKDIR src', 'USER 1000:1000', 'STOPSIGNAL SIGINT', 'ONBUILD RUN make');
    expect(config).toMatchObject({ WorkingDir: '/app/src', User: '1000:1000', StopSignal: 'SIGINT', OnBuild: ['RUN make'] });
  });

  it('refuses what Docker refuses, naming the change', () => {
    expect(() => parseChange('FROM scratch')).toThrow(/invalid --change "FROM scratch": expected one of CMD/);
    expect(() => parseChange('RUN make')).toThrow(/expected one of/);
    expect(() => parseChange('CMD')).toThrow(/invalid --change "CMD"/);
    expect(() => parseChange('EXPOSE 80/icmp')).toThrow(/"80\/icmp" is not a port/);
    expect(() => parseChange('EXPOSE 0')).toThrow(/"0" is not a port/);
    expect(() => parseChange('VOLUME relative')).toThrow(/"relative" is not an absolute path/);
    expect(() => parseChange('ENV A="open')).toThrow(/unterminated " quote/);
    expect(() => parseChange('LABEL =x')).toThrow(/"=x" is not KEY=VALUE/);
  });

  it('leaves the config it is given unchanged', () => {
    const config = { Env: ['A=1'], Labels: { a: '1' } };
    apply(config, 'ENV A=2', 'LABEL a=2');
    expect(config).toEqual({ Env: ['A=1'], Labels: { a: '1' } });
  });
});
