import { z } from 'zod';
import type { RouteSpec } from './routing';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return rest;
};

/** OpenAPI 3.1 from the same route declarations that validate requests. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
      if (!schema) continue;
      const objectSchema = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(objectSchema.properties ?? {})) {
        parameters.push({ name, in: location, required: location === 'path' || (objectSchema.required ?? []).includes(name), schema: property });
      }
    }
    if (route.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Repeat a POST safely: the same key and body return the first answer; a different body is 422.',
        schema: { type: 'string', maxLength: 255 },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const isProblem = Number(status) >= 400;
      responses[status] = {
        description: response.description,
        ...(response.schema || isProblem
          ? {
              content: isProblem
                ? { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
                : { 'application/json': { schema: jsonSchema(response.schema!, 'output') } },
            }
          : {}),
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      ...(route.roles ? { security: [{ apiKey: [] }], description: `Roles: ${route.roles.join(', ')}.` } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'capflow API', version, description: 'Durable capability orchestration on Temporal.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key; each key has one role.' } },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
