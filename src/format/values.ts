/**
 * Go's view of JSON-shaped values: what is a map and what a struct, truth, and
 * how fmt prints them (`%v`: slices `[a b]`, maps `map[k:v]` with sorted keys,
 * structs `{v1 v2}`, nil `<nil>`), and the `%`-verbs printf knows.
 */

/** A plain JSON object whose keys look like Go's exported fields is a struct; any other object (Labels, Ports) is a map. */
export function isStruct(value: object): boolean {
  const keys = Object.keys(value);
  if (Object.values(value).some((entry) => typeof entry === 'function')) return true;
  return keys.length > 0 && keys.every((key) => /^[A-Z][A-Za-z0-9]*$/.test(key)) && keys.some((key) => /[a-z]/.test(key));
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isStruct(value);
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; a struct is always true. */
export function truth(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return isStruct(value) || Object.keys(value).length > 0;
  return true;
}

/** Go's type names, for its error messages and `%!verb(type=value)`. */
export function typeName(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'object') return isStruct(value) ? 'struct' : 'map[string]interface {}';
  return typeof value;
}

/** strconv.FormatFloat(f, 'g', -1, 64) as `%v` uses it: exponent below 1e-4 and from 1e21. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  const exponent = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value)));
  if (exponent >= -4 && exponent < 21) return String(value);
  const [mantissa, power] = value.toExponential().split('e') as [string, string];
  const sign = power.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${power.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/** fmt's `%v`. `nested` is false for the top of an action, where a missing value prints `<no value>`. */
export function printValue(value: unknown, nested = true): string {
  if (value === undefined) return nested ? '<nil>' : '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatFloat(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return '<func>';
  if (Array.isArray(value)) return `[${value.map((entry) => printValue(entry)).join(' ')}]`;
  if (typeof value === 'object') {
    if (isStruct(value)) return `{${Object.values(value).filter((entry) => typeof entry !== 'function').map((entry) => printValue(entry)).join(' ')}}`;
    const record = value as Record<string, unknown>;
    return `map[${Object.keys(record).sort().map((key) => `${key}:${printValue(record[key])}`).join(' ')}]`;
  }
  return String(value);
}

/** JSON as Docker's `json` function writes it: Go's encoding (map keys sorted, no HTML escaping), one line. */
export function goJson(value: unknown): string {
  const sorted = (entry: unknown): unknown => {
    if (Array.isArray(entry)) return entry.map(sorted);
    if (typeof entry === 'object' && entry !== null) {
      const record = entry as Record<string, unknown>;
      const keys = isStruct(entry) ? Object.keys(record) : Object.keys(record).sort();
      return Object.fromEntries(keys.filter((key) => typeof record[key] !== 'function' && record[key] !== undefined).map((key) => [key, sorted(record[key])]));
    }
    return entry;
  };
  return (JSON.stringify(sorted(value)) ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** strconv.Quote, near enough: JSON's escapes are Go's for everything a --format prints. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/\\u007f/g, '\\x7f');
}

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width: number | undefined;
  precision: number | undefined;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  if (spec.minus) return text.padEnd(spec.width);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(spec.width - sign.length, '0');
  }
  return text.padStart(spec.width);
}

function signed(text: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${text}`;
  if (spec.plus) return `+${text}`;
  if (spec.space) return ` ${text}`;
  return text;
}

function badVerb(verb: string, value: unknown): string {
  return `%!${verb}(${typeName(value)}=${printValue(value)})`;
}

function formatOne(verb: string, value: unknown, spec: Spec): string {
  switch (verb) {
    case 'v':
      return pad(spec.sharp && typeof value === 'string' ? quote(value) : printValue(value), spec, false);
    case 's':
      if (typeof value === 'number' || typeof value === 'boolean') return badVerb(verb, value);
      {
        const text = typeof value === 'string' ? value : printValue(value);
        return pad(spec.precision === undefined ? text : [...text].slice(0, spec.precision).join(''), spec, false);
      }
    case 'q':
      if (typeof value === 'string') return pad(quote(value), spec, false);
      if (typeof value === 'number' && Number.isInteger(value)) return pad(`'${String.fromCodePoint(value)}'`, spec, false);
      return badVerb(verb, value);
    case 't':
      return typeof value === 'boolean' ? pad(String(value), spec, false) : badVerb(verb, value);
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X':
    case 'c': {
      if (typeof value === 'string' && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(value).toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, spec, false);
      }
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        if (typeof value === 'number' && (verb === 'x' || verb === 'X')) return pad(value.toString(16), spec, true);
        return badVerb(verb, value);
      }
      if (verb === 'c') return pad(String.fromCodePoint(value), spec, false);
      const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[verb];
      let digits = Math.abs(value).toString(radix);
      if (verb === 'X') digits = digits.toUpperCase();
      if (spec.precision !== undefined) digits = digits.padStart(spec.precision, '0');
      if (spec.sharp && verb === 'x') digits = `0x${digits}`;
      if (spec.sharp && verb === 'X') digits = `0X${digits}`;
      if (spec.sharp && verb === 'o') digits = `0${digits}`;
      return pad(signed(digits, value < 0, spec), spec, spec.precision === undefined);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof value !== 'number') return badVerb(verb, value);
      const magnitude = Math.abs(value);
      let text: string;
      if (verb === 'f' || verb === 'F') text = magnitude.toFixed(spec.precision ?? 6);
      else if (verb === 'e' || verb === 'E') text = magnitude.toExponential(spec.precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      else text = spec.precision === undefined ? formatFloat(magnitude) : String(Number(magnitude.toPrecision(spec.precision)));
      if (verb === 'E' || verb === 'G') text = text.toUpperCase();
      return pad(signed(text, value < 0 || Object.is(value, -0), spec), spec, true);
    }
    default:
      return `%!${verb}(${typeName(value)}=${printValue(value)})`;
  }
}

/** fmt.Sprintf for the verbs a template uses: v s q t d b o x X c f F e E g G, flags `-+# 0`, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  const pattern = /%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?([a-zA-Z%])?/gy;
  let index = 0;
  while (index < format.length) {
    const percent = format.indexOf('%', index);
    if (percent === -1) {
      out += format.slice(index);
      break;
    }
    out += format.slice(index, percent);
    pattern.lastIndex = percent;
    const match = pattern.exec(format)!;
    index = pattern.lastIndex;
    const [, flags = '', widthText, precisionText, verb] = match;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    const fromArgs = (text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      if (text === '*') {
        const value = args[next++];
        return typeof value === 'number' ? value : undefined;
      }
      return text === '' ? 0 : Number(text);
    };
    const spec: Spec = {
      minus: flags.includes('-'), plus: flags.includes('+'), zero: flags.includes('0'), space: flags.includes(' '), sharp: flags.includes('#'),
      width: fromArgs(widthText), precision: fromArgs(precisionText),
    };
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[next++], spec);
  }
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((value) => `${typeName(value)}=${printValue(value)}`).join(', ')})`;
  return out;
}

/** fmt.Sprint: a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((value, position) => {
    if (position > 0 && typeof value !== 'string' && typeof args[position - 1] !== 'string') out += ' ';
    out += printValue(value);
  });
  return out;
}
