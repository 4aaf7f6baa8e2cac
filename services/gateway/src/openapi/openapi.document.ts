import { z } from 'zod';
import { ProblemSchema } from '../http/schemas';
import { ROUTES, type RouteSpec } from './routes';

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed JSON, or a body or query that breaks its schema (issues lists each problem)',
  401: 'no credentials, an unknown or revoked API key, an invalid or expired token',
  403: 'the credentials lack the scope this operation needs',
  404: 'no such resource',
  409: 'conflicts with the current state',
  413: 'body over 1 MB',
  422: 'the request is well formed but cannot be carried out',
  429: 'rate limit exceeded; Retry-After says when to come back',
};

type JsonObject = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonObject;
  delete json.$schema;
  return json;
}

function parametersOf(route: RouteSpec): JsonObject[] {
  const params: JsonObject[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const json = schemaOf(route.query, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      params.push({ name, in: 'query', required: json.required?.includes(name) ?? false, schema });
    }
  }
  return params;
}

/** The OpenAPI 3.1 document of the gateway, built from the zod contracts of every route. */
export function buildOpenApiDocument(): JsonObject {
  const schemas: Record<string, JsonObject> = { Problem: schemaOf(ProblemSchema, 'output') };
  const paths: Record<string, Record<string, JsonObject>> = {};
  const problem = { $ref: '#/components/schemas/Problem' };
  for (const route of ROUTES) {
    schemas[route.response.name] ??= schemaOf(route.response.schema, 'output');
    if (route.body) schemas[route.body.name] ??= schemaOf(route.body.schema, 'input');
    const responses: Record<string, JsonObject> = {
      [String(route.status)]: {
        description: route.summary,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.response.name}` } } },
      },
    };
    for (const status of [400, 401, 403, 429, ...(route.errors ?? [])]) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? 'error',
        content: { 'application/json': { schema: problem } },
        ...(status === 429 ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
      };
    }
    (paths[route.path] ??= {})[route.method] = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      description: `Needs the \`${route.scope}\` scope.`,
      'x-aoe-scope': route.scope,
      parameters: parametersOf(route),
      ...(route.body
        ? {
            requestBody: {
              required: !route.body.optional,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.body.name}` } } },
            },
          }
        : {}),
      responses,
      security: [{ apiKey: [] }, { bearer: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agent-Orchestrated ETL gateway',
      version: '1.0.0',
      description:
        'REST API of the platform. Lists take ?limit=&cursor= and answer { items, nextCursor }. See docs/api/gateway.md.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'aoe_<id>_<secret>' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key, or a JWT from the configured issuer' },
      },
    },
  };
}
