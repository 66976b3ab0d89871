/**
 * JSON schemas (schemas/NAME.schema.json) as validators, and their errors as one
 * line naming the field. The validators are the standalone code `npm run build`
 * compiled into build/schemas/SET.cjs (scripts/compile-schemas.mjs), so a pull
 * does not spend ~60 ms generating ajv code; from the sources (tests) ajv
 * compiles the schemas on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

/** The $id every schema of schemas/ declares. */
function schemaId(name: string): string {
  return `https://burrow.dev/schemas/${name}.schema.json`;
}

/** A set of schemas that refer to one another, precompiled into one file. */
export class SchemaSet<Name extends string> {
  private compiled: Partial<Record<Name, ValidateFunction>> | undefined;
  private ajv: Ajv | undefined;

  /** `set` names the precompiled file (build/schemas/SET.cjs); `names` the schemas it holds. */
  constructor(private readonly set: string, private readonly names: readonly Name[]) {}

  private validator(name: Name): ValidateFunction {
    const require = createRequire(import.meta.url);
    if (this.compiled === undefined) {
      try {
        // Written as if from a sibling folder, so it resolves from build/util/ and from the CLI bundle alike.
        this.compiled = require(`../schemas/${this.set}.cjs`) as Partial<Record<Name, ValidateFunction>>;
      } catch {
        this.compiled = {};
      }
    }
    let validate = this.compiled[name];
    if (validate === undefined) {
      if (this.ajv === undefined) {
        // Compiled lazily: a command that never reads such a document pays nothing.
        const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
        this.ajv = new AjvClass({ allErrors: false, strict: false });
        for (const file of this.names) this.ajv.addSchema(JSON.parse(readFileSync(new URL(`${file}.schema.json`, SCHEMA_DIR), 'utf8')) as object);
      }
      validate = this.ajv.getSchema(schemaId(name));
      if (validate === undefined) throw new Error(`schema ${name} missing from schemas/`);
      this.compiled[name] = validate;
    }
    return validate;
  }

  /**
   * The first way `value` breaks schema `name`, as `field "layers[0].digest" must
   * match pattern ...`; undefined when it matches. `document` names such a
   * document in the message about a field the schema does not know.
   */
  problem(name: Name, value: unknown, document: string): string | undefined {
    const validate = this.validator(name);
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return first === undefined ? 'does not match its schema' : describeSchemaError(first, document);
  }

  /**
   * As `problem`, with where the problem is: the path of the value (or, for an
   * unknown or badly named field, of its key) as segments, for a caller that
   * maps it to a line of its file (a job file).
   */
  locate(name: Name, value: unknown, document: string): { message: string; path: string[]; key: boolean } | undefined {
    const validate = this.validator(name);
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    if (first === undefined) return { message: 'does not match its schema', path: [], key: false };
    const path = first.instancePath.split('/').slice(1).map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
    const params = first.params as { additionalProperty?: string };
    const key = first.keyword === 'additionalProperties' ? params.additionalProperty : badPropertyName(first);
    return { message: describeSchemaError(first, document), path: key === undefined ? path : [...path, key], key: key !== undefined };
  }
}

/** `/syscalls/3/args/0` as `syscalls[3].args[0]`, with `child` appended. */
function fieldName(instancePath: string, child?: string): string {
  const path = instancePath.slice(1).replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.');
  if (child === undefined) return path === '' ? '(top level)' : path;
  return path === '' ? child : `${path}.${child}`;
}

/** The key a `propertyNames` rule refused (ajv names it on the inner error, and in the params of the outer one). */
function badPropertyName(error: ErrorObject): string | undefined {
  return (error as ErrorObject & { propertyName?: string }).propertyName ?? (error.keyword === 'propertyNames' ? (error.params as { propertyName?: string }).propertyName : undefined);
}

/** One ajv error as a phrase that names the field in the document's own spelling. */
function describeSchemaError(error: ErrorObject, document: string): string {
  switch (error.keyword) {
    case 'required':
      return `field "${fieldName(error.instancePath, (error.params as { missingProperty: string }).missingProperty)}" is missing`;
    case 'additionalProperties':
      return `field "${fieldName(error.instancePath, (error.params as { additionalProperty: string }).additionalProperty)}" is not a ${document} field`;
    case 'enum':
      return `field "${fieldName(error.instancePath)}" must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    default:
      if (badPropertyName(error) !== undefined) return `name "${badPropertyName(error)}" in field "${fieldName(error.instancePath)}" ${error.message ?? 'is invalid'}`;
      return `field "${fieldName(error.instancePath)}" ${error.message ?? 'is invalid'}`;
  }
}
