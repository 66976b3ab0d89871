import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJobFile, parseDuration, parseJobText } from '../../src/job/load.js';

/** The one-line error a text gives (the test fails when it loads). */
function errorOf(text: string, file = 'job.yml'): string {
  try {
    parseJobText(text, file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the job file to be refused');
}

const FULL = `
name: ci
image: debian:12
env:
  CI: true
  LEVEL: 3
volumes:
  - ./cache:/cache
  - named:/data:ro
workspace: ./src
user: "1000"
memory: 512m
cpus: 1
pids-limit: 100
services:
  db:
    image: postgres:16
    env:
      POSTGRES_PASSWORD: secret
    ports: ["5432", "8080:80", 9000]
    replicas: 2
    healthcheck:
      test: pg_isready
      interval: 1s
      timeout: 1m30s
      retries: 5
      start-period: 500ms
  cache:
    image: redis
    command: [redis-server, --save, ""]
    healthcheck:
      test: [CMD, redis-cli, ping]
  quiet:
    image: busybox
    healthcheck:
      disable: true
steps:
  - run: |
      make
      make test
  - name: lint
    command: [npm, run, lint]
    env:
      FIX: false
    working-directory: /work
    continue-on-error: true
    timeout: 90
`;

describe('job files', () => {
  it('reads every field into a JobDefinition', () => {
    const job = parseJobText(FULL, '/jobs/ci.yml');
    expect(job).toMatchObject({
      name: 'ci', image: 'debian:12', env: ['CI=true', 'LEVEL=3'], workspace: '/jobs/src', user: '1000',
      limits: { memory: 512 * 1024 * 1024, nanoCpus: 1e9, pidsLimit: 100 },
    });
    expect(job.volumes).toEqual([
      { kind: 'bind', source: '/jobs/cache', target: '/cache', readOnly: false },
      { kind: 'volume', name: 'named', target: '/data', readOnly: true },
    ]);
    const [db, cache, quiet] = job.services;
    expect(db).toMatchObject({ name: 'db', replicas: 2, env: ['POSTGRES_PASSWORD=secret'], healthcheck: { test: ['CMD-SHELL', 'pg_isready'], intervalMs: 1000, timeoutMs: 90_000, retries: 5, startPeriodMs: 500 } });
    expect(db!.ports.map((port) => `${port.hostPort}:${port.containerPort}`)).toEqual(['0:5432', '8080:80', '0:9000']);
    expect(cache).toMatchObject({ command: ['redis-server', '--save', ''], replicas: 1, healthcheck: { test: ['CMD', 'redis-cli', 'ping'] } });
    expect(quiet!.healthcheck).toBe('none');
    expect(job.steps[0]).toMatchObject({ name: 'Run make', argv: ['sh', '-e', '-c', 'make\nmake test\n'], continueOnError: false, timeoutMs: undefined });
    expect(job.steps[1]).toMatchObject({ name: 'lint', argv: ['npm', 'run', 'lint'], env: ['FIX=false'], workingDirectory: '/work', continueOnError: true, timeoutMs: 90_000 });
    expect(job.steps.map((step) => step.line)).toEqual([38, 41]);
  });

  it('reads JSON as well, with lines', () => {
    const job = parseJobText('{"image": "busybox", "steps": [{"command": ["true"]}]}', 'job.json');
    expect(job).toMatchObject({ name: 'job', image: 'busybox', services: [], steps: [{ argv: ['true'] }] });
    expect(errorOf('{\n  "image": "busybox",\n  "steps": [\n    {"command": "true"}\n  ]\n}', 'job.json')).toBe('job.json:4: field "steps[0].command" must be array');
  });

  it('names the file, the line and the field of an unknown field, at the key', () => {
    expect(errorOf('image: busybox\nsteps:\n  - run: echo\n    timout: 5\n')).toBe('job.yml:4: field "steps[0].timout" is not a job file field');
    expect(errorOf('image: busybox\nimages: x\nsteps:\n  - run: echo\n')).toBe('job.yml:2: field "images" is not a job file field');
    expect(errorOf('image: busybox\nservices:\n  db:\n    image: x\n    health: {}\nsteps:\n  - run: echo\n')).toBe('job.yml:5: field "services.db.health" is not a job file field');
  });

  it('names a value of the wrong type at its line', () => {
    expect(errorOf('image: busybox\nservices:\n  db:\n    image: x\n    replicas: two\nsteps:\n  - run: echo\n')).toBe('job.yml:5: field "services.db.replicas" must be integer');
    expect(errorOf('image: busybox\nsteps:\n  - run: echo\n    continue-on-error: "yes"\n')).toBe('job.yml:4: field "steps[0].continue-on-error" must be boolean');
    expect(errorOf('image: 7\nsteps:\n  - run: echo\n')).toBe('job.yml:1: field "image" must be string');
  });

  it('names what is missing', () => {
    expect(errorOf('image: busybox\n')).toBe('job.yml:1: field "steps" is missing');
    expect(errorOf('steps:\n  - run: echo\n')).toBe('job.yml:1: field "image" is missing');
    expect(errorOf('image: busybox\nservices:\n  db:\n    replicas: 2\nsteps:\n  - run: echo\n')).toBe('job.yml:4: field "services.db.image" is missing');
    expect(errorOf('')).toBe('job.yml:1: the job file is empty: it needs at least "image" and "steps"');
  });

  it('gives YAML syntax errors their line', () => {
    expect(errorOf('image: busybox\nsteps:\n  - run: echo hi\n   - run: [oops\n')).toMatch(/^job\.yml:4: not valid YAML: /);
    expect(errorOf('image: busybox\nimage: other\nsteps: []\n')).toMatch(/^job\.yml:2: not valid YAML: Map keys must be unique/);
  });

  it('refuses what the schema cannot judge, at its line', () => {
    expect(errorOf('image: busybox\nsteps:\n  - name: x\n    run: echo\n    command: ["true"]\n')).toBe('job.yml:3: field "steps[0]" needs one of "run" (a script for sh) or "command" (argv), not both');
    expect(errorOf('image: busybox\nsteps:\n  - name: nothing\n')).toMatch(/^job\.yml:3: field "steps\[0\]" needs one of/);
    expect(errorOf('image: busybox\nsteps:\n  - run: echo\n    timeout: 5 minutes\n')).toMatch(/^job\.yml:4: field "steps\[0\]\.timeout" is not a duration/);
    expect(errorOf('image: busybox\nsteps:\n  - run: echo\n    working-directory: src\n')).toBe('job.yml:4: field "steps[0].working-directory" must be an absolute path in the container');
    expect(errorOf('image: busybox\nmemory: lots\nsteps:\n  - run: echo\n')).toMatch(/^job\.yml:2: field "memory" is invalid: invalid --memory "lots"/);
    expect(errorOf('image: busybox\nvolumes:\n  - /a\nsteps:\n  - run: echo\n')).toMatch(/^job\.yml:3: field "volumes\[0\]" is not a volume/);
    expect(errorOf('image: busybox\nservices:\n  db:\n    image: x\n    ports: ["99999"]\nsteps:\n  - run: echo\n')).toMatch(/^job\.yml:5: field "services\.db\.ports\[0\]" is invalid/);
    expect(errorOf('image: busybox\nservices:\n  db:\n    image: x\n    healthcheck:\n      test: [CURL, x]\nsteps:\n  - run: echo\n')).toMatch(/^job\.yml:6: field "services\.db\.healthcheck\.test" must be/);
    expect(errorOf('image: busybox\nservices:\n  "bad name":\n    image: x\nsteps:\n  - run: echo\n')).toMatch(/^job\.yml:3: name "bad name" in field "services"/);
    expect(errorOf('image: busybox\nsteps: []\n')).toBe('job.yml:2: field "steps" must NOT have fewer than 1 items');
  });

  it('reads durations as Docker and compose write them', () => {
    expect(parseDuration(90)).toBe(90_000);
    expect(parseDuration(0.5)).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('12')).toBe(12_000);
    for (const bad of ['5 minutes', '1x', '', 's', '-1s']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });

  it('loads a file from disk, and says when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burrow-job-'));
    writeFileSync(join(dir, 'build.yaml'), 'image: busybox\nsteps:\n  - run: echo\n');
    expect(loadJobFile(join(dir, 'build.yaml')).name).toBe('build');
    expect(() => loadJobFile(join(dir, 'missing.yml'))).toThrow(`cannot read the job file ${join(dir, 'missing.yml')}: no such file`);
    expect(() => loadJobFile(dir)).toThrow('it is a directory');
  });
});
