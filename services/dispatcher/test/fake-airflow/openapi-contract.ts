import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type Format, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The unmodified upstream OpenAPI files (see ../airflow-spec/README.md). */
export const SPEC_DIR = join(__dirname, '..', 'airflow-spec');

type Schema = Record<string, unknown>;

export interface ValidationProblem {
  /** JSON path inside the validated value, e.g. `['logical_date']`. */
  path: Array<string | number>;
  keyword: string;
  message: string;
}

export interface Validator {
  (value: unknown): ValidationProblem[];
}

export interface QueryParameterContract {
  name: string;
  required: boolean;
  /** `style: form, explode: false` arrays arrive comma-separated. */
  isArray: boolean;
  type: string | undefined;
  validate: Validator;
}

export interface OperationContract {
  method: string;
  path: string;
  query: QueryParameterContract[];
  /** undefined when the operation takes no body. */
  requestBody?: {
    validate: Validator;
    /** The body's top-level properties and which of them are `readOnly` (never accepted in a request). */
    properties: Map<string, { readOnly: boolean }>;
  };
  /** undefined when the specification declares no such status for the operation. */
  response(status: number): Validator | undefined;
}

/**
 * One OpenAPI document, compiled with ajv: request bodies, query parameters and
 * responses of an operation validate exactly as the document says. OpenAPI 3.1
 * documents are JSON Schema 2020-12 (Ajv2020); OpenAPI 3.0 schemas are converted
 * mechanically first (`nullable` → `type: [..., "null"]`, `$ref` siblings dropped,
 * `discriminator`/`example`/`x-*` dropped) and validated as draft-07.
 */
export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly base: string;
  private readonly operations = new Map<string, OperationContract>();
  private readonly components = new Map<string, Validator>();

  private constructor(
    readonly name: string,
    private readonly doc: Schema,
  ) {
    const version = String(doc.openapi);
    this.base = `https://fake-airflow.test/${name}.json`;
    const components = (doc.components ?? {}) as Schema;
    const schemas = (components.schemas ?? {}) as Record<string, Schema>;
    if (version.startsWith('3.1')) {
      this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
      this.ajv.addSchema({ $id: this.base, components: { schemas } });
    } else if (version.startsWith('3.0')) {
      this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
      const converted = Object.fromEntries(Object.entries(schemas).map(([key, value]) => [key, convert30(value)]));
      this.ajv.addSchema({ $id: this.base, components: { schemas: converted } });
    } else {
      throw new Error(`${name}: unsupported OpenAPI version ${version}`);
    }
    addFormats(this.ajv);
    // Formats the 3.0 document names that are not JSON Schema formats.
    this.ajv.addFormat('datetime', this.ajv.formats['date-time'] as Format);
    this.ajv.addFormat('password', true);
    this.ajv.addFormat('path', true);
  }

  static load(file: string): OpenApiContract {
    const text = readFileSync(join(SPEC_DIR, file), 'utf8');
    return new OpenApiContract(file.replace(/\.yaml$/, ''), parse(text) as Schema);
  }

  /** Validator for `#/components/schemas/<name>`. */
  component(name: string): Validator {
    let validator = this.components.get(name);
    if (validator === undefined) {
      validator = this.compile({ $ref: `#/components/schemas/${name}` });
      this.components.set(name, validator);
    }
    return validator;
  }

  /** The operation as the document declares it; throws when the document has no such operation. */
  operation(method: string, path: string): OperationContract {
    const key = `${method.toUpperCase()} ${path}`;
    const cached = this.operations.get(key);
    if (cached) return cached;

    const paths = this.doc.paths as Record<string, Schema>;
    const pathItem = paths[path];
    const op = pathItem?.[method.toLowerCase()] as Schema | undefined;
    if (pathItem === undefined || op === undefined) throw new Error(`${this.name}: no operation ${key}`);

    const parameters = [...((pathItem.parameters ?? []) as Schema[]), ...((op.parameters ?? []) as Schema[])]
      .map((parameter) => this.deref(parameter))
      .filter((parameter) => parameter.in === 'query');
    const query = parameters.map((parameter) => {
      const schema = parameter.schema as Schema;
      const type = this.typeOf(schema);
      return {
        name: String(parameter.name),
        required: parameter.required === true,
        isArray: type === 'array',
        type: type === 'array' ? this.typeOf((schema.items ?? {}) as Schema) : type,
        validate: this.compile(schema),
      };
    });

    let requestBody: OperationContract['requestBody'];
    if (op.requestBody !== undefined) {
      const body = this.deref(op.requestBody as Schema);
      const schema = ((body.content as Schema)['application/json'] as Schema).schema as Schema;
      requestBody = { validate: this.compile(schema), properties: this.topLevelProperties(schema) };
    }

    const responses = new Map<number, Validator>();
    for (const [status, raw] of Object.entries(op.responses as Record<string, Schema>)) {
      const response = this.deref(raw);
      const content = response.content as Schema | undefined;
      const schema = (content?.['application/json'] as Schema | undefined)?.schema as Schema | undefined;
      responses.set(
        Number(status),
        schema === undefined
          ? (value: unknown) =>
              value === undefined ? [] : [{ path: [], keyword: 'body', message: 'the specification declares no body' }]
          : this.compile(schema),
      );
    }

    const contract: OperationContract = {
      method: method.toUpperCase(),
      path,
      query,
      requestBody,
      response: (status) => responses.get(status),
    };
    this.operations.set(key, contract);
    return contract;
  }

  private compile(schema: Schema): Validator {
    const prepared = rebase(this.isOpenApi30() ? convert30(schema) : schema, this.base) as Schema;
    const validate: ValidateFunction = this.ajv.compile(prepared);
    return (value) => (validate(value) ? [] : (validate.errors ?? []).map(toProblem));
  }

  private isOpenApi30(): boolean {
    return String(this.doc.openapi).startsWith('3.0');
  }

  /** Follows `$ref`s to parameters, request bodies, responses and schemas inside this document. */
  private deref(value: Schema): Schema {
    let current = value;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops += 1) {
      const pointer = current.$ref.replace(/^#\//, '').split('/');
      let target: unknown = this.doc;
      for (const part of pointer) target = (target as Schema)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      current = target as Schema;
    }
    return current;
  }

  private typeOf(schema: Schema): string | undefined {
    const resolved = this.deref(schema);
    if (typeof resolved.type === 'string') return resolved.type;
    const variants = (resolved.anyOf ?? resolved.oneOf ?? []) as Schema[];
    const types = variants.map((variant) => this.typeOf(variant)).filter((type) => type !== 'null');
    return types[0];
  }

  private topLevelProperties(schema: Schema): Map<string, { readOnly: boolean }> {
    const resolved = this.deref(schema);
    const properties = (resolved.properties ?? {}) as Record<string, Schema>;
    return new Map(
      Object.entries(properties).map(([name, property]) => [
        name,
        { readOnly: property.readOnly === true || this.deref(property).readOnly === true },
      ]),
    );
  }
}

function toProblem(error: ErrorObject): ValidationProblem {
  const path: Array<string | number> = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && params.missingProperty) path.push(params.missingProperty);
  if (error.keyword === 'additionalProperties' && params.additionalProperty) path.push(params.additionalProperty);
  return { path, keyword: error.keyword, message: error.message ?? error.keyword };
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Local `#/...` references point into the document registered under `base`. */
function rebase(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rebase(item, base));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' && item.startsWith('#') ? `${base}${item}` : rebase(item, base),
    ]),
  );
}

const DROPPED_30_KEYWORDS = new Set(['nullable', 'discriminator', 'example', 'xml', 'externalDocs', 'deprecated']);

/** OpenAPI 3.0 Schema Object → JSON Schema (draft-07), as the OpenAPI 3.0.3 text defines the differences. */
export function convert30(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(convert30);
  if (!isObject(schema)) return schema;
  // OpenAPI 3.0: "This object cannot be extended with additional properties and any properties added SHALL be ignored."
  if (typeof schema.$ref === 'string') return { $ref: schema.$ref };
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_30_KEYWORDS.has(key) || key.startsWith('x-')) continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convert30(sub)]));
    } else if ((key === 'items' || key === 'not' || key === 'additionalProperties') && isObject(value)) {
      out[key] = convert30(value);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map(convert30);
    } else {
      out[key] = value;
    }
  }
  if (schema.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}
