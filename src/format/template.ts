/**
 * Runs a parsed Go template (parse.ts) over JSON-shaped data, with Go's built-in
 * functions and Docker's (`json`, `split`, `join`, `title`, `lower`, `upper`,
 * `pad`, `truncate`). A value that is a JavaScript function is a Go method:
 * `{{.Label "k"}}` calls the row's `Label` with "k".
 */
import { parseTemplate, TemplateError, type Block, type Command, type Node, type Operand, type Pipeline } from './parse.js';
import { goJson, isMap, isStruct, printValue, sprint, sprintf, truth, typeName } from './values.js';

export { TemplateError } from './parse.js';

/** An argument not yet evaluated: `and` and `or` stop at the first that decides. */
type Lazy = () => unknown;
type Builtin = (args: Lazy[]) => unknown;

class ExecError extends Error {}
class LoopControl {
  constructor(readonly kind: 'break' | 'continue') {}
}

const strict = (fn: (...args: unknown[]) => unknown, arity?: number, name?: string): Builtin => (args) => {
  if (arity !== undefined && args.length !== arity) throw new ExecError(`wrong number of args for ${name}: want ${arity} got ${args.length}`);
  return fn(...args.map((arg) => arg()));
};

function needString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ExecError(`${what}: expected string; found ${printValue(value)}`);
  return value;
}

function needInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ExecError(`${what}: expected integer; found ${printValue(value)}`);
  return value;
}

function basicKind(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return typeof value;
  return 'other';
}

function equal(left: unknown, right: unknown): boolean {
  const kinds = [basicKind(left), basicKind(right)];
  if (kinds.includes('other')) throw new ExecError('error calling eq: invalid type for comparison');
  if (kinds[0] === 'nil' || kinds[1] === 'nil') return kinds[0] === kinds[1];
  if (kinds[0] !== kinds[1]) throw new ExecError('error calling eq: incompatible types for comparison');
  return left === right;
}

function less(left: unknown, right: unknown, name: string): boolean {
  const kinds = [basicKind(left), basicKind(right)];
  if (!(kinds[0] === 'number' || kinds[0] === 'string') || kinds[0] !== kinds[1]) throw new ExecError(`error calling ${name}: ${kinds[0] !== kinds[1] ? 'incompatible types for comparison' : 'invalid type for comparison'}`);
  return (left as number | string) < (right as number | string);
}

function indexInto(collection: unknown, keys: unknown[]): unknown {
  let value = collection;
  for (const key of keys) {
    if (value === undefined || value === null) throw new ExecError('error calling index: index of untyped nil');
    if (Array.isArray(value) || typeof value === 'string') {
      const position = needInt(key, 'error calling index: cannot index slice/array with type');
      const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
      if (position < 0 || position >= length) throw new ExecError(`error calling index: index out of range: ${position}`);
      value = typeof value === 'string' ? Buffer.from(value)[position] : value[position];
    } else if (isMap(value)) {
      if (typeof key !== 'string') throw new ExecError(`error calling index: value has type ${typeName(key)}; should be string`);
      // A missing key is the element's zero value; Docker's maps hold strings.
      value = Object.hasOwn(value, key) ? value[key] : '';
    } else throw new ExecError(`error calling index: can't index item of type ${typeName(value)}`);
  }
  return value;
}

function length(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.length;
  if (isMap(value)) return Object.keys(value).length;
  throw new ExecError(`error calling len: len of type ${typeName(value)}`);
}

/** strings.Title: the first letter of each word upper-cased. */
const title = (text: string): string => text.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_match, before: string, letter: string) => before + letter.toUpperCase());

const BUILTINS: Record<string, Builtin> = {
  and: (args) => {
    let value: unknown;
    for (const arg of args) if (!truth((value = arg()))) return value;
    return value;
  },
  or: (args) => {
    let value: unknown;
    for (const arg of args) if (truth((value = arg()))) return value;
    return value;
  },
  not: strict((value) => !truth(value), 1, 'not'),
  len: strict((value) => length(value), 1, 'len'),
  index: (args) => {
    if (args.length === 0) throw new ExecError('wrong number of args for index: want at least 1 got 0');
    const [collection, ...keys] = args.map((arg) => arg());
    return indexInto(collection, keys);
  },
  slice: (args) => {
    const [value, ...bounds] = args.map((arg) => arg());
    const numbers = bounds.map((bound) => needInt(bound, 'error calling slice'));
    if (typeof value !== 'string' && !Array.isArray(value)) throw new ExecError(`error calling slice: can't slice item of type ${typeName(value)}`);
    return value.slice(numbers[0] ?? 0, numbers[1] ?? value.length);
  },
  print: (args) => sprint(args.map((arg) => arg())),
  println: (args) => `${args.map((arg) => printValue(arg())).join(' ')}\n`,
  printf: (args) => {
    const [format, ...rest] = args.map((arg) => arg());
    return sprintf(needString(format, 'error calling printf'), rest);
  },
  eq: (args) => {
    if (args.length < 2) throw new ExecError('error calling eq: missing argument for comparison');
    const [first, ...rest] = args.map((arg) => arg());
    return rest.some((other) => equal(first, other));
  },
  ne: strict((left, right) => !equal(left, right), 2, 'ne'),
  lt: strict((left, right) => less(left, right, 'lt'), 2, 'lt'),
  le: strict((left, right) => less(left, right, 'le') || equal(left, right), 2, 'le'),
  gt: strict((left, right) => !less(left, right, 'gt') && !equal(left, right), 2, 'gt'),
  ge: strict((left, right) => !less(left, right, 'ge'), 2, 'ge'),
  urlquery: (args) => encodeURIComponent(sprint(args.map((arg) => arg()))),
  html: (args) => sprint(args.map((arg) => arg())).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  // Docker's own (cli/templates): the functions its documentation shows.
  json: strict((value) => goJson(value), 1, 'json'),
  split: strict((text, separator) => needString(text, 'error calling split').split(needString(separator, 'error calling split')), 2, 'split'),
  join: strict((list, separator) => {
    if (!Array.isArray(list)) throw new ExecError(`error calling join: wrong type for value; expected []string; got ${typeName(list)}`);
    return list.map((entry) => printValue(entry)).join(needString(separator, 'error calling join'));
  }, 2, 'join'),
  title: strict((text) => title(needString(text, 'error calling title')), 1, 'title'),
  lower: strict((text) => needString(text, 'error calling lower').toLowerCase(), 1, 'lower'),
  upper: strict((text) => needString(text, 'error calling upper').toUpperCase(), 1, 'upper'),
  pad: strict((text, before, after) => `${' '.repeat(needInt(before, 'error calling pad'))}${needString(text, 'error calling pad')}${' '.repeat(needInt(after, 'error calling pad'))}`, 3, 'pad'),
  truncate: strict((text, size) => [...needString(text, 'error calling truncate')].slice(0, needInt(size, 'error calling truncate')).join(''), 2, 'truncate'),
};

const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(BUILTINS));

/** What `final` is when a command is the first of its pipeline. */
const NONE = Symbol('none');

class Execution {
  private variables: Array<{ name: string; value: unknown }>;
  private at = '';
  out = '';

  constructor(data: unknown) {
    this.variables = [{ name: '$', value: data }];
  }

  fail(position: string, why: string): never {
    throw new TemplateError(`template: ${position}: executing "" at <${this.at}>: ${why}`);
  }

  list(nodes: Node[], dot: unknown): void {
    for (const node of nodes) this.node(node, dot);
  }

  node(node: Node, dot: unknown): void {
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const value = this.pipeline(node.pipeline, dot);
        if (node.pipeline.variables.length === 0) this.out += printValue(value, false);
        return;
      }
      case 'break':
      case 'continue':
        throw new LoopControl(node.kind);
      case 'if':
      case 'with': {
        const mark = this.variables.length;
        const value = this.pipeline(node.pipeline, dot);
        if (truth(value)) this.list(node.list, node.kind === 'with' ? value : dot);
        else this.list(node.elseList, dot);
        this.variables.length = mark;
        return;
      }
      case 'range':
        this.range(node, dot);
    }
  }

  range(node: Block, dot: unknown): void {
    const mark = this.variables.length;
    const pipeline = { ...node.pipeline, variables: [] };
    const value = this.pipeline(pipeline, dot);
    let entries: Array<[unknown, unknown]>;
    if (Array.isArray(value)) entries = value.map((entry, position) => [position, entry]);
    else if (typeof value === 'number' && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_unused, position) => [position, position]);
    else if (value === undefined || value === null) entries = [];
    else if (isMap(value)) entries = Object.keys(value).sort().map((key) => [key, value[key]]);
    else this.fail(node.pipeline.position, `range can't iterate over ${printValue(value)}`);
    const names = node.pipeline.variables;
    for (const [key, entry] of entries) {
      const inner = this.variables.length;
      if (names.length === 1) this.bind(names[0]!, entry, node.pipeline.assign, node.pipeline.position);
      if (names.length === 2) {
        this.bind(names[0]!, key, node.pipeline.assign, node.pipeline.position);
        this.bind(names[1]!, entry, node.pipeline.assign, node.pipeline.position);
      }
      try {
        this.list(node.list, entry);
      } catch (error) {
        if (!(error instanceof LoopControl)) throw error;
        if (error.kind === 'break') {
          this.variables.length = inner;
          break;
        }
      }
      this.variables.length = inner;
    }
    if (entries.length === 0) this.list(node.elseList, dot);
    this.variables.length = mark;
  }

  bind(name: string, value: unknown, assign: boolean, position: string): void {
    if (!assign) {
      this.variables.push({ name, value });
      return;
    }
    for (let i = this.variables.length - 1; i >= 0; i--) {
      if (this.variables[i]!.name === name) {
        this.variables[i]!.value = value;
        return;
      }
    }
    this.fail(position, `undefined variable: ${name}`);
  }

  variable(name: string, position: string): unknown {
    for (let i = this.variables.length - 1; i >= 0; i--) if (this.variables[i]!.name === name) return this.variables[i]!.value;
    throw new TemplateError(`template: ${position.replace(/:\d+$/, '')}: undefined variable "${name}"`);
  }

  pipeline(pipeline: Pipeline, dot: unknown): unknown {
    let value: unknown = NONE;
    for (const command of pipeline.commands) value = this.command(command, dot, value, pipeline.position);
    if (pipeline.variables.length > 0) this.bind(pipeline.variables[0]!, value, pipeline.assign, pipeline.position);
    return value;
  }

  command(command: Command, dot: unknown, final: unknown, position: string): unknown {
    const [first, ...rest] = command.operands as [Operand, ...Operand[]];
    this.at = first.text;
    const args: Lazy[] = rest.map((operand) => () => this.argument(operand, dot, position));
    if (final !== NONE) args.push(() => final);
    try {
      switch (first.kind) {
        case 'field':
          return this.chain(dot, first.chain, args, position, '');
        case 'variable':
          return this.chain(this.variable(first.name, position), first.chain, args, position, first.name);
        case 'pipeline':
          return this.chain(this.pipeline(first.pipeline, dot), first.chain, args, position, '');
        case 'function':
          return BUILTINS[first.name]!(args);
        default:
          if (args.length > 0) this.fail(position, `can't give argument to non-function ${first.text}`);
          return this.argument(first, dot, position);
      }
    } catch (error) {
      if (error instanceof ExecError) this.fail(position, error.message);
      throw error;
    }
  }

  argument(operand: Operand, dot: unknown, position: string): unknown {
    switch (operand.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'literal':
        return operand.value;
      case 'field':
        return this.chain(dot, operand.chain, [], position, '');
      case 'variable':
        return this.chain(this.variable(operand.name, position), operand.chain, [], position, operand.name);
      case 'pipeline':
        return this.chain(this.pipeline(operand.pipeline, dot), operand.chain, [], position, '');
      case 'function':
        return BUILTINS[operand.name]!([]);
    }
  }

  /** `.A.B.C`: each name a field or map key; the last, if a method, is called with `args`. */
  chain(receiver: unknown, names: string[], args: Lazy[], position: string, prefix: string): unknown {
    let value = receiver;
    if (names.length === 0 && args.length > 0) this.fail(position, `can't give argument to non-function ${prefix || '.'}`);
    names.forEach((name, position_) => {
      const last = position_ === names.length - 1;
      const path = `${prefix}.${names.slice(0, position_ + 1).join('.')}`;
      if (value === undefined || value === null) this.fail(position, `nil pointer evaluating ${typeName(value) === '<nil>' ? 'interface {}' : typeName(value)}.${name}`);
      if (typeof value !== 'object') this.fail(position, `can't evaluate field ${name} in type ${typeName(value)}`);
      const record = value as Record<string, unknown>;
      // docker inspect's objects are Go structs whose field ID is the JSON key "Id": Docker's
      // templates take both spellings (the struct's, then the map's), so scripts use both.
      if (name === 'ID' && !Object.hasOwn(record, 'ID') && Object.hasOwn(record, 'Id')) name = 'Id';
      const found = record[name];
      if (typeof found === 'function') {
        const given = last ? args.map((arg) => arg()) : [];
        value = (found as (...values: unknown[]) => unknown).call(record, ...given);
        return;
      }
      if (last && args.length > 0) this.fail(position, `${path} has arguments but cannot be invoked as function`);
      if (Array.isArray(value)) this.fail(position, `can't evaluate field ${name} in type []interface {}`);
      if (isStruct(value) && !Object.hasOwn(record, name)) this.fail(position, `can't evaluate field ${name} in type ${typeName(value)}`);
      // A missing map key is no value.
      value = Object.hasOwn(record, name) ? found : undefined;
    });
    return value;
  }
}

export interface Template {
  /** The text the template gives for `data`; a TemplateError for Go's execution errors. */
  execute(data: unknown): string;
}

/** Parses `source` once (a TemplateError for Go's parse errors); execute it for each value. */
export function compileTemplate(source: string): Template {
  const nodes = parseTemplate(source, FUNCTION_NAMES);
  return {
    execute(data: unknown): string {
      const execution = new Execution(data);
      execution.list(nodes, data);
      return execution.out;
    },
  };
}

/** Exposed for tests and the listing code: is this object a Go map (printed `map[…]`)? */
export { isMap, isStruct };
