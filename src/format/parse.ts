/**
 * Go's text/template syntax, the subset Docker's `--format` is used with: text and
 * actions (with `{{-`/`-}}` trimming and comments), pipelines, fields, variables,
 * literals, function calls, parentheses, if/else if/else, range (with else, break,
 * continue), with/else. No npm library implements Go's semantics (the ones there
 * lack pipelines, variables and Go's printing), so this is our own, kept small.
 */

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type Operand =
  | { kind: 'field'; chain: string[]; text: string }
  | { kind: 'variable'; name: string; chain: string[]; text: string }
  | { kind: 'dot'; text: string }
  | { kind: 'nil'; text: string }
  | { kind: 'literal'; value: string | number | boolean; text: string }
  | { kind: 'function'; name: string; text: string }
  | { kind: 'pipeline'; pipeline: Pipeline; chain: string[]; text: string };

export interface Command {
  operands: Operand[];
}

export interface Pipeline {
  /** `$x := …` declares, `$x = …` assigns; range may name two. */
  variables: string[];
  assign: boolean;
  commands: Command[];
  /** Where it is, for errors: `:LINE:COL`. */
  position: string;
}

/** if, with and range: a pipeline, what runs when it holds (each element, for range), and the else. */
export interface Block {
  kind: 'if' | 'with' | 'range';
  pipeline: Pipeline;
  list: Node[];
  elseList: Node[];
}

export type Node = { kind: 'text'; text: string } | { kind: 'action'; pipeline: Pipeline } | Block | { kind: 'break' | 'continue'; position: string };

type Token =
  | { kind: 'field'; chain: string[]; text: string; adjacent: boolean }
  | { kind: 'variable'; name: string; chain: string[]; text: string }
  | { kind: 'dot' | 'pipe' | 'open' | 'close' | 'comma' | 'declare' | 'assign'; text: string }
  | { kind: 'identifier'; text: string }
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string };

interface Action {
  tokens: Token[];
  position: string;
}

type Piece = { kind: 'text'; text: string } | { kind: 'action'; action: Action };

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/y;
const SPACE = /[ \t\r\n]/;

function positionOf(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return `:${line}:${offset - before.lastIndexOf('\n') - 1}`;
}

function lineOf(source: string, offset: number): string {
  return `:${source.slice(0, offset).split('\n').length}`;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Go's interpreted string and rune escapes. */
function unescape(body: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = body[++i];
    if (next === undefined) fail('unterminated escape');
    if (ESCAPES[next] !== undefined) out += ESCAPES[next];
    else if (next === 'x' || next === 'u' || next === 'U') {
      const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + length);
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) fail(`invalid escape \\${next}${hex}`);
      out += next === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += length;
    } else if (/[0-7]/.test(next)) {
      const octal = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(octal)) fail(`invalid escape \\${octal}`);
      out += String.fromCharCode(parseInt(octal, 8));
      i += 2;
    } else fail(`unknown escape sequence \\${next}`);
  }
  return out;
}

/** Splits the source into text and the tokens of each action. */
function lex(source: string): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos <= source.length) {
    const open = source.indexOf('{{', pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    let start = open + 2;
    const trimBefore = open !== -1 && source[start] === '-' && SPACE.test(source[start + 1] ?? '');
    if (trimBefore) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 2;
    }
    if (text !== '') pieces.push({ kind: 'text', text });
    if (open === -1) break;
    const fail = (why: string): never => {
      throw new TemplateError(`template: ${lineOf(source, open)}: ${why}`);
    };
    let i = start;
    while (i < source.length && SPACE.test(source[i]!)) i++;
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) fail('unclosed comment');
      let after = end + 2;
      if (source.startsWith(' -}}', after)) {
        trimNext = true;
        after += 4;
      } else if (source.startsWith('}}', after)) after += 2;
      else fail('comment ends before closing delimiter');
      pos = after;
      continue;
    }
    const tokens: Token[] = [];
    const at = i;
    let spaced = true;
    for (;;) {
      if (i >= source.length) fail('unclosed action');
      const char = source[i]!;
      if (SPACE.test(char)) {
        if (source[i + 1] === '-' && source.startsWith('}}', i + 2)) {
          trimNext = true;
          i += 4;
          break;
        }
        i++;
        spaced = true;
        continue;
      }
      if (source.startsWith('}}', i)) {
        i += 2;
        break;
      }
      const adjacent = !spaced;
      spaced = false;
      if (char === '"') {
        let end = i + 1;
        while (end < source.length && source[end] !== '"') {
          if (source[end] === '\\') end++;
          if (source[end] === '\n') fail('unterminated quoted string');
          end++;
        }
        if (end >= source.length) fail('unterminated quoted string');
        tokens.push({ kind: 'string', value: unescape(source.slice(i + 1, end), fail), text: source.slice(i, end + 1) });
        i = end + 1;
      } else if (char === '`') {
        const end = source.indexOf('`', i + 1);
        if (end === -1) fail('unterminated raw quoted string');
        tokens.push({ kind: 'string', value: source.slice(i + 1, end), text: source.slice(i, end + 1) });
        i = end + 1;
      } else if (char === "'") {
        const end = source.indexOf("'", i + 2);
        if (end === -1) fail('unterminated character constant');
        const value = unescape(source.slice(i + 1, end), fail);
        if ([...value].length !== 1) fail(`malformed character constant: ${source.slice(i, end + 1)}`);
        tokens.push({ kind: 'number', value: value.codePointAt(0)!, text: source.slice(i, end + 1) });
        i = end + 1;
      } else if (char === '.' && /[A-Za-z_]/.test(source[i + 1] ?? '')) {
        const chain: string[] = [];
        let end = i;
        while (source[end] === '.' && /[A-Za-z_]/.test(source[end + 1] ?? '')) {
          IDENTIFIER.lastIndex = end + 1;
          const name = IDENTIFIER.exec(source)![0];
          chain.push(name);
          end += 1 + name.length;
        }
        tokens.push({ kind: 'field', chain, text: source.slice(i, end), adjacent });
        i = end;
      } else if (char === '$') {
        IDENTIFIER.lastIndex = i + 1;
        const match = IDENTIFIER.exec(source);
        const name = `$${match?.index === i + 1 ? match[0] : ''}`;
        let end = i + name.length;
        const chain: string[] = [];
        while (source[end] === '.' && /[A-Za-z_]/.test(source[end + 1] ?? '')) {
          IDENTIFIER.lastIndex = end + 1;
          const field = IDENTIFIER.exec(source)![0];
          chain.push(field);
          end += 1 + field.length;
        }
        tokens.push({ kind: 'variable', name, chain, text: source.slice(i, end) });
        i = end;
      } else if (/[0-9+\-.]/.test(char) && (NUMBER.lastIndex = i, NUMBER.exec(source)?.index === i)) {
        NUMBER.lastIndex = i;
        const text = NUMBER.exec(source)![0];
        const value = Number(text.replace(/_/g, '').replace(/^([+-]?)0[oO]/, '$10o'));
        if (Number.isNaN(value)) fail(`bad number syntax: "${text}"`);
        tokens.push({ kind: 'number', value, text });
        i += text.length;
      } else if (char === '.') {
        tokens.push({ kind: 'dot', text: '.' });
        i++;
      } else if (char === '|') {
        tokens.push({ kind: 'pipe', text: '|' });
        i++;
      } else if (char === '(') {
        tokens.push({ kind: 'open', text: '(' });
        i++;
      } else if (char === ')') {
        tokens.push({ kind: 'close', text: ')' });
        i++;
      } else if (char === ',') {
        tokens.push({ kind: 'comma', text: ',' });
        i++;
      } else if (source.startsWith(':=', i)) {
        tokens.push({ kind: 'declare', text: ':=' });
        i += 2;
      } else if (char === '=') {
        tokens.push({ kind: 'assign', text: '=' });
        i++;
      } else if (/[A-Za-z_]/.test(char)) {
        IDENTIFIER.lastIndex = i;
        const name = IDENTIFIER.exec(source)![0];
        tokens.push({ kind: 'identifier', text: name });
        i += name.length;
      } else fail(`unexpected "${char}" in command`);
    }
    pieces.push({ kind: 'action', action: { tokens, position: positionOf(source, at) } });
    pos = i;
  }
  return pieces;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

class ActionParser {
  private index = 0;
  constructor(
    private readonly action: Action,
    private readonly functions: ReadonlySet<string>,
  ) {}

  fail(why: string): never {
    throw new TemplateError(`template: ${this.action.position.replace(/:\d+$/, '')}: ${why}`);
  }

  peek(): Token | undefined {
    return this.action.tokens[this.index];
  }

  next(): Token | undefined {
    return this.action.tokens[this.index++];
  }

  atEnd(): boolean {
    return this.index >= this.action.tokens.length;
  }

  /** `[$a [, $b] (:=|=)] command ('|' command)*`, up to `)` or the action's end. */
  pipeline(context: string, range = false): Pipeline {
    const variables: string[] = [];
    let assign = false;
    const tokens = this.action.tokens;
    const first = tokens[this.index];
    if (first?.kind === 'variable' && first.chain.length === 0) {
      const second = tokens[this.index + 1];
      if (second?.kind === 'declare' || second?.kind === 'assign') {
        variables.push(first.name);
        assign = second.kind === 'assign';
        this.index += 2;
      } else if (range && second?.kind === 'comma') {
        const third = tokens[this.index + 2];
        const fourth = tokens[this.index + 3];
        if (third?.kind !== 'variable' || third.chain.length > 0 || (fourth?.kind !== 'declare' && fourth?.kind !== 'assign')) this.fail('range can only initialize variables');
        variables.push(first.name, third.name);
        assign = fourth.kind === 'assign';
        this.index += 4;
      }
    }
    const commands: Command[] = [];
    for (;;) {
      const operands: Operand[] = [];
      while (!this.atEnd() && this.peek()!.kind !== 'pipe' && this.peek()!.kind !== 'close') operands.push(this.operand());
      if (operands.length === 0) this.fail(`missing value for ${context}`);
      commands.push({ operands });
      if (this.peek()?.kind !== 'pipe') break;
      this.next();
    }
    return { variables, assign, commands, position: this.action.position };
  }

  operand(): Operand {
    const token = this.next()!;
    let operand: Operand;
    switch (token.kind) {
      case 'field':
        operand = { kind: 'field', chain: token.chain, text: token.text };
        break;
      case 'variable':
        operand = { kind: 'variable', name: token.name, chain: token.chain, text: token.text };
        break;
      case 'dot':
        operand = { kind: 'dot', text: '.' };
        break;
      case 'string':
      case 'number':
        operand = { kind: 'literal', value: token.value, text: token.text };
        break;
      case 'identifier':
        if (token.text === 'nil') operand = { kind: 'nil', text: 'nil' };
        else if (token.text === 'true' || token.text === 'false') operand = { kind: 'literal', value: token.text === 'true', text: token.text };
        else if (KEYWORDS.has(token.text)) this.fail(`unexpected <${token.text}> in command`);
        else if (!this.functions.has(token.text)) this.fail(`function "${token.text}" not defined`);
        else operand = { kind: 'function', name: token.text, text: token.text };
        break;
      case 'open': {
        const inner = this.pipeline('parenthesized pipeline');
        if (this.next()?.kind !== 'close') this.fail('unclosed left paren');
        operand = { kind: 'pipeline', pipeline: inner, chain: [], text: '(…)' };
        break;
      }
      default:
        this.fail(`unexpected "${token.text}" in operand`);
    }
    // `(pipeline).Field`: a field chain written right after the closing paren.
    const after = this.peek();
    if (operand.kind === 'pipeline' && after?.kind === 'field' && after.adjacent) {
      this.next();
      operand.chain = after.chain;
    }
    return operand;
  }
}

type Frame = { kind: 'root' } | { kind: Block['kind']; node: Block; inElse: boolean };

/** Parses a template; `functions` are the names a call may use. */
export function parseTemplate(source: string, functions: ReadonlySet<string>): Node[] {
  const root: Node[] = [];
  const lists: Node[][] = [root];
  const frames: Frame[] = [{ kind: 'root' }];
  let loops = 0;
  const current = (): Node[] => lists[lists.length - 1]!;
  for (const piece of lex(source)) {
    if (piece.kind === 'text') {
      current().push({ kind: 'text', text: piece.text });
      continue;
    }
    const parser: ActionParser = new ActionParser(piece.action, functions);
    const first = parser.peek();
    if (first === undefined) parser.fail('missing value for command');
    const keyword = first.kind === 'identifier' && KEYWORDS.has(first.text) ? first.text : undefined;
    if (keyword === undefined) {
      current().push({ kind: 'action', pipeline: parser.pipeline('command') });
      if (!parser.atEnd()) parser.fail(`unexpected "${parser.peek()!.text}" in command`);
      continue;
    }
    parser.next();
    const frame = frames[frames.length - 1]!;
    if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
      const pipeline = parser.pipeline(keyword, keyword === 'range');
      if (!parser.atEnd()) parser.fail(`unexpected "${parser.peek()!.text}" in ${keyword}`);
      const node: Block = { kind: keyword, pipeline, list: [], elseList: [] };
      current().push(node);
      frames.push({ kind: keyword, node, inElse: false });
      lists.push(node.list);
      if (keyword === 'range') loops++;
    } else if (keyword === 'else') {
      if (frame.kind === 'root' || frame.inElse) parser.fail('unexpected {{else}}');
      if (frame.kind === 'range') loops--;
      frame.inElse = true;
      lists.pop();
      lists.push(frame.node.elseList);
      const chainedKeyword = parser.peek();
      if (chainedKeyword?.kind === 'identifier' && (chainedKeyword.text === 'if' || chainedKeyword.text === 'with')) {
        // `{{else if x}}` is `{{else}}{{if x}}…{{end}}` with one shared end.
        parser.next();
        const pipeline = parser.pipeline(chainedKeyword.text);
        const node: Block = { kind: chainedKeyword.text === 'if' ? 'if' : 'with', pipeline, list: [], elseList: [] };
        frame.node.elseList.push(node);
        frames.pop();
        frames.push({ kind: node.kind, node, inElse: false });
        lists.pop();
        lists.push(node.list);
      }
      if (!parser.atEnd()) parser.fail(`unexpected "${parser.peek()!.text}" in else`);
    } else if (keyword === 'end') {
      if (frame.kind === 'root') parser.fail('unexpected {{end}}');
      if (!parser.atEnd()) parser.fail(`unexpected "${parser.peek()!.text}" in end`);
      if (frame.kind === 'range' && !frame.inElse) loops--;
      frames.pop();
      lists.pop();
    } else if (keyword === 'break' || keyword === 'continue') {
      if (loops === 0) parser.fail(`{{${keyword}}} outside {{range}}`);
      if (!parser.atEnd()) parser.fail(`unexpected "${parser.peek()!.text}" in ${keyword}`);
      current().push({ kind: keyword, position: piece.action.position });
    } else parser.fail(`{{${keyword}}} is not supported in a --format template`);
  }
  const open = frames[frames.length - 1]!;
  if (open.kind !== 'root') throw new TemplateError(`template: :${source.split('\n').length}: unexpected EOF`);
  return root;
}
