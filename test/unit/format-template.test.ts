import { describe, expect, it } from 'vitest';
import { chooseFormat, renderRows, tabwrite } from '../../src/format/render.js';
import { compileTemplate, TemplateError } from '../../src/format/template.js';
import { formatFloat, sprintf } from '../../src/format/values.js';

const run = (source: string, data: unknown): string => compileTemplate(source).execute(data);

/** An inspect-shaped container, as `docker inspect` gives it. */
const container = {
  Id: 'c0ffee',
  Name: '/web',
  Args: ['-g', 'daemon off;'],
  State: { Status: 'exited', Running: false, Pid: 0, ExitCode: 1 },
  Config: { Image: 'ubuntu:latest', Env: ['PATH=/usr/bin', 'A=b'], Labels: { 'com.example.version': '1.0', 'com.example.vendor': 'ACME' }, Cmd: ['nginx'] },
  NetworkSettings: {
    IPAddress: '10.88.0.2',
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': [{ HostIp: '0.0.0.0', HostPort: '8443' }] },
    Networks: { bridge: { IPAddress: '10.88.0.2' }, other: { IPAddress: '10.89.0.5' } },
  },
};

describe('Go templates: the examples of Docker\'s "Format command and log output"', () => {
  it('fields and nested fields', () => {
    expect(run('{{.Name}}', container)).toBe('/web');
    expect(run('{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', container)).toBe('exited 1 false');
    expect(run('{{.NetworkSettings.IPAddress}}', container)).toBe('10.88.0.2');
  });

  it("takes .ID for inspect's Id, as Docker's templates do (the Go struct's field name)", () => {
    expect(run('{{.ID}} {{.Id}}', container)).toBe('c0ffee c0ffee');
    // Only there: a struct without Id still has no field ID.
    expect(() => run('{{.State.ID}}', container)).toThrow(/can't evaluate field ID/);
  });

  it('join, lower, upper, title, split, truncate, pad', () => {
    expect(run('{{join .Args " , "}}', container)).toBe('-g , daemon off;');
    expect(run('{{lower .State.Status}} {{upper .State.Status}} {{title "hello big world"}}', container)).toBe('exited EXITED Hello Big World');
    expect(run('{{split .Config.Image ":"}}', container)).toBe('[ubuntu latest]');
    expect(run('{{index (split .Config.Image ":") 1}}', container)).toBe('latest');
    expect(run('{{truncate .Id 3}}|{{pad .State.Status 1 2}}|', container)).toBe('c0f| exited  |');
  });

  it('json: Go encoding on one line, map keys sorted', () => {
    expect(run('{{json .Config.Labels}}', container)).toBe('{"com.example.vendor":"ACME","com.example.version":"1.0"}');
    expect(run('{{json .Args}}', container)).toBe('["-g","daemon off;"]');
    expect(JSON.parse(run('{{json .}}', container))).toEqual(container);
    expect(run('{{json .Missing}}', { Missing: null })).toBe('null');
  });

  it('prints values as Go does: slices [a b], maps map[k:v], structs {v}, nil <nil>, a missing key <no value>', () => {
    expect(run('{{.Config.Env}}', container)).toBe('[PATH=/usr/bin A=b]');
    expect(run('{{.Config.Labels}}', container)).toBe('map[com.example.vendor:ACME com.example.version:1.0]');
    expect(run('{{.NetworkSettings.Ports}}', container)).toBe('map[443/tcp:[{0.0.0.0 8443}] 80/tcp:[{0.0.0.0 8080}]]');
    expect(run('{{.State}}', container)).toBe('{exited false 0 1}');
    expect(run('{{.Config.Labels.nothing}}', container)).toBe('<no value>');
    expect(run('{{.X}}', { X: null })).toBe('<nil>');
    expect(run('{{.X}}', { X: {} })).toBe('map[]');
    expect(run('{{.X}} {{.Y}}', { X: 0.5, Y: 1e-5 })).toBe('0.5 1e-05');
  });

  it('index: map keys (a missing one is empty), slice positions', () => {
    expect(run('{{index .Config.Labels "com.example.version"}}', container)).toBe('1.0');
    expect(run('[{{index .Config.Labels "nope"}}]', container)).toBe('[]');
    expect(run('{{index .Args 1}}', container)).toBe('daemon off;');
    expect(run('{{(index .NetworkSettings.Ports "80/tcp" 0).HostPort}}', container)).toBe('8080');
    expect(() => run('{{index .Args 5}}', container)).toThrow(/index out of range: 5/);
  });

  it('if / else if / else with eq, and, or, not', () => {
    const source = '{{.Name}} {{if eq .State.ExitCode 0}}Normal Exit{{else if eq .State.ExitCode 1}}Not a Normal Exit{{else}}Still Not a Normal Exit{{end}}';
    expect(run(source, container)).toBe('/web Not a Normal Exit');
    expect(run(source, { ...container, State: { ExitCode: 0 } })).toBe('/web Normal Exit');
    expect(run(source, { ...container, State: { ExitCode: 3 } })).toBe('/web Still Not a Normal Exit');
    expect(run('{{if and .State.Running (eq .State.Pid 0)}}a{{else}}b{{end}}{{if or .State.Running .Config.Env}}c{{end}}{{if not .State.Running}}d{{end}}', container)).toBe('bcd');
    expect(run('{{if eq .State.Status "created" "exited"}}stopped{{end}}', container)).toBe('stopped');
    expect(run('{{if .Config.Labels}}labelled{{end}}{{if .Nothing}}x{{else}}empty{{end}}', { ...container, Nothing: [] })).toBe('labelledempty');
    expect(run('{{if lt 1 2}}lt{{end}} {{if ge "b" "a"}}ge{{end}} {{if ne .State.Status "running"}}ne{{end}}', container)).toBe('lt ge ne');
  });

  it('range over slices and maps (sorted keys), with variables, else, break and continue', () => {
    expect(run('{{range .Config.Env}}{{.}};{{end}}', container)).toBe('PATH=/usr/bin;A=b;');
    expect(run('{{range $elem := .Args}}[{{$elem}}]{{end}}', container)).toBe('[-g][daemon off;]');
    expect(run('{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}', container)).toBe(' 443/tcp -> 8443  80/tcp -> 8080 ');
    expect(run('{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', container)).toBe('10.88.0.2 10.89.0.5 ');
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}', container)).toBe('com.example.vendor=ACME,com.example.version=1.0,');
    expect(run('{{range .None}}x{{else}}none{{end}}', { None: [] })).toBe('none');
    expect(run('{{range $i, $e := .Args}}{{if $i}},{{end}}{{$e}}{{end}}', container)).toBe('-g,daemon off;');
    expect(run('{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', { L: [1, 2, 3, 4, 5] })).toBe('13');
    expect(run('{{range $.Args}}{{$.Id}}{{end}}', container)).toBe('c0ffeec0ffee');
  });

  it('with, variables, pipelines, parentheses, printf, print, println, len, slice', () => {
    expect(run('{{with .State}}{{.Status}}{{end}}{{with .Nothing}}x{{else}}-{{end}}', { ...container, Nothing: '' })).toBe('exited-');
    expect(run('{{$n := .Name}}{{$n = "other"}}{{$n}}', container)).toBe('other');
    expect(run('{{.State.Status | upper | printf "%s!"}}', container)).toBe('EXITED!');
    expect(run('{{printf "%s has %d args, %5.2f%% %q %v %t %x" .Name (len .Args) 12.345 "q" .Args true 255}}', container)).toBe('/web has 2 args, 12.35% "q" [-g daemon off;] true ff');
    expect(run('{{printf "%-6s|%06d|%+d" "ab" 42 7}}', {})).toBe('ab    |000042|+7');
    expect(run('{{print "a" 1 2 "b"}} {{println .Name .State.Pid}}', container)).toBe('a1 2b /web 0\n');
    expect(run('{{len .Config.Labels}} {{len .Name}} {{slice .Name 1 3}}', container)).toBe('2 4 we');
    expect(run('{{"quoted \\"x\\"\\t"}}{{`raw\\n`}}{{42}}{{-1.5}}{{true}}', {})).toBe('quoted "x"\traw\\n42-1.5true');
  });

  it('trims spaces with {{- and -}}, drops comments', () => {
    expect(run('a  {{- .Name -}}  \n b', container)).toBe('a/webb');
    expect(run('a{{/* a comment */}}b {{- /* trimmed */ -}} c', {})).toBe('abc');
    expect(run('{{- range .Args }}\n  {{ . }}\n{{- end }}', container)).toBe('\n  -g\n  daemon off;');
  });

  it('calls methods with arguments: {{.Label "k"}}', () => {
    const row = { Names: 'web', Label: (key: unknown) => ({ a: '1' })[String(key)] ?? '' };
    expect(run('{{.Names}} {{.Label "a"}} [{{.Label "b"}}]', row)).toBe('web 1 []');
    expect(run('{{"a" | .Label}}', row)).toBe('1');
  });

  it('errors: a field a struct does not have, a nil pointer, unknown functions, bad syntax, unclosed blocks', () => {
    expect(() => run('{{.Nope}}', container)).toThrow('template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type struct');
    expect(() => run('{{.State.Health.Status}}', container)).toThrow(/executing "" at <\.State\.Health\.Status>: can't evaluate field Health/);
    expect(() => run('{{.X.Status}}', { X: null })).toThrow(/nil pointer evaluating interface \{\}\.Status/);
    expect(() => compileTemplate('{{nosuch .Name}}')).toThrow('template: :1: function "nosuch" not defined');
    expect(() => compileTemplate('{{.Name')).toThrow(TemplateError);
    expect(() => compileTemplate('{{if .Name}}x')).toThrow(/unexpected EOF/);
    expect(() => compileTemplate('{{end}}')).toThrow(/unexpected \{\{end\}\}/);
    expect(() => compileTemplate('{{.Name}')).toThrow('template: :1: unexpected "}" in command');
    expect(() => compileTemplate('{{.Name')).toThrow('template: :1: unclosed action');
    expect(() => compileTemplate('{{break}}')).toThrow(/outside \{\{range\}\}/);
    expect(() => run('{{eq .Name 1}}', container)).toThrow(/incompatible types for comparison/);
    expect(() => run('{{.Name "x"}}', container)).toThrow(/has arguments but cannot be invoked as function/);
    expect(() => run('{{$nope}}', container)).toThrow(/undefined variable "\$nope"/);
    expect(() => run('{{join .Name ","}}', container)).toThrow(/wrong type for value/);
  });
});

describe('fmt in Go', () => {
  it('formats floats as %v does', () => {
    expect([1, 0.1, 1e21, 1e20, 123456789.5, 1e-7, -2.5].map(formatFloat)).toEqual(['1', '0.1', '1e+21', '100000000000000000000', '123456789.5', '1e-07', '-2.5']);
  });

  it('marks missing and extra printf arguments as Go does', () => {
    expect(sprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
    expect(sprintf('%s', ['a', 2])).toBe('a%!(EXTRA int=2)');
    expect(sprintf('%d', ['x'])).toBe('%!d(string=x)');
  });
});

describe('--format choices and tables', () => {
  it('table and json are keywords; anything else is a template, parsed at once', () => {
    expect(chooseFormat(undefined).kind).toBe('table');
    expect(chooseFormat('table').kind).toBe('table');
    expect(chooseFormat('json').kind).toBe('json');
    expect(chooseFormat('{{.ID}}').kind).toBe('template');
    expect(() => chooseFormat('{{.ID')).toThrow(/^template parsing error: template: :1: unclosed action$/);
  });

  it('table TEMPLATE: a header from the column titles, columns aligned as tabwriter (min width 10, padding 3)', () => {
    const choice = chooseFormat('table {{.ID}}\\t{{.Names}}\\t{{.Status}}');
    if (choice.kind !== 'template') throw new Error('not a template');
    const rows = [{ ID: 'abc', Names: 'a-long-container-name', Status: 'Up' }, { ID: 'def', Names: 'b', Status: 'Exited (0)' }];
    expect(renderRows(choice, rows, { ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS' })).toBe(
      ['CONTAINER ID   NAMES                   STATUS', 'abc            a-long-container-name   Up', 'def            b                       Exited (0)', ''].join('\n'),
    );
  });

  it('a bare template: its text and a newline for each row, no header', () => {
    const choice = chooseFormat('{{.ID}}: {{.Names}}');
    if (choice.kind !== 'template') throw new Error('not a template');
    expect(renderRows(choice, [{ ID: 'a', Names: 'x' }, { ID: 'b', Names: 'y' }], {})).toBe('a: x\nb: y\n');
  });

  it('tabwrite leaves the text after the last tab alone', () => {
    expect(tabwrite('a\tb\nccc\td')).toBe('a         b\nccc       d');
  });
});
