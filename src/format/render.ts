/**
 * Docker's `--format` for listings and inspect (docker/cli's formatter): `table`
 * (the default layout), `json`, `table TEMPLATE` (a header row, columns aligned
 * as Go's tabwriter does) or a bare TEMPLATE (its text for each row, then a
 * newline). `\t` and `\n` written as two characters are a tab and a newline.
 */
import { BurrowError } from '../errors.js';
import { compileTemplate, TemplateError, type Template } from './template.js';

export type FormatChoice = { kind: 'table' } | { kind: 'json' } | { kind: 'template'; template: Template; table: boolean };

function compile(source: string): Template {
  try {
    return compileTemplate(source);
  } catch (error) {
    if (error instanceof TemplateError) throw new BurrowError('INVALID_ARGUMENT', `template parsing error: ${error.message}`);
    throw error;
  }
}

/** What `--format` asks for; a template that does not parse is an error here, before any work is done. */
export function chooseFormat(format: string | undefined): FormatChoice {
  if (format === undefined || format === '' || format.trim() === 'table') return { kind: 'table' };
  if (format.trim() === 'json') return { kind: 'json' };
  const table = format.startsWith('table');
  const body = (table ? format.slice('table'.length) : format).replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { kind: 'template', template: compile(body), table };
}

/** Runs a template, its errors as one-line BurrowErrors. */
export function execute(template: Template, data: unknown): string {
  try {
    return template.execute(data);
  } catch (error) {
    if (error instanceof TemplateError) throw new BurrowError('INVALID_ARGUMENT', error.message);
    throw error;
  }
}

/**
 * Go's text/tabwriter as docker/cli sets it up (minimum width 10, padding 3,
 * spaces): each tab-terminated cell padded to its column's widest; the text
 * after a line's last tab is left as it is.
 */
export function tabwrite(text: string): string {
  const lines = text.split('\n');
  const cells = lines.map((line) => line.split('\t'));
  const widths: number[] = [];
  for (const row of cells) {
    row.slice(0, -1).forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 10, [...cell].length + 3);
    });
  }
  return cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, widths[column]! - [...cell].length)))).join('')).join('\n');
}

/** A template over rows: a header from `headers` (Docker's column titles by field) for `table`. */
export type Headers = Record<string, string | ((...args: unknown[]) => string)>;

export function renderRows(choice: Extract<FormatChoice, { kind: 'template' }>, rows: unknown[], headers: Headers): string {
  const lines = rows.map((row) => `${execute(choice.template, row)}\n`);
  if (!choice.table) return lines.join('');
  const header = execute(choice.template, { ...headers });
  return tabwrite([header.trim() === '' ? '' : `${header}\n`, ...lines].join(''));
}

const JSON_ROW = '{{json .}}';

/**
 * `--format json` of a listing, as docker/cli's (its JSONFormat is `{{json .}}`):
 * each row's object (the fields a template sees) on a line of its own, not an array.
 */
export function jsonLines(rows: unknown[]): string {
  const template = compile(JSON_ROW);
  return rows.map((row) => `${execute(template, row)}\n`).join('');
}

/** One value (inspect): the template's text and a newline. */
export function renderOne(template: Template, value: unknown): string {
  return `${execute(template, value)}\n`;
}
