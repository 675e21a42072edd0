import { z } from "zod";
import { GatewayResponses } from "./gateway";
import type { RouteDeclaration, ServiceManifest } from "./manifest";
import { PROBLEM_CONTENT_TYPE } from "./problem";

type JsonObject = Record<string, unknown>;

const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  return rest;
}

function parameters(route: RouteDeclaration): JsonObject[] {
  const fromObject = (where: "path" | "query", schema: z.ZodType | undefined) => {
    if (!schema) return [];
    const json = schemaOf(schema, "input");
    const properties = (json.properties ?? {}) as Record<string, JsonObject>;
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => ({
      name,
      in: where,
      required: where === "path" || required.has(name),
      schema: property,
    }));
  };
  return [...fromObject("path", route.request?.params), ...fromObject("query", route.request?.query)];
}

function operation(service: string, route: RouteDeclaration): JsonObject {
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { "application/json": { schema: schemaOf(response.schema, "output") } } }
        : {}),
    };
  }
  const problem = {
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
  };
  responses["400"] ??= { description: "The request is not valid (the problem names each field)", ...problem };
  if (route.auth.mode === "authorizer") {
    responses["401"] ??= { description: GatewayResponses.UNAUTHORIZED.title, ...problem };
    responses["403"] ??= { description: GatewayResponses.ACCESS_DENIED.title, ...problem };
  }
  for (const status of Object.keys(responses)) {
    const entry = responses[status] as JsonObject;
    if (Number(status) >= 400 && !entry.content) entry.content = problem.content;
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [service],
    ...(route.auth.mode === "authorizer"
      ? {
          security: [{ bearer: [] }],
          "x-sdp-principals": route.auth.principals,
          ...(route.auth.staffRoles ? { "x-sdp-staff-roles": route.auth.staffRoles } : {}),
          ...(route.auth.scope ? { "x-sdp-scope": route.auth.scope } : {}),
        }
      : { security: [] }),
    parameters: parameters(route),
    ...(route.request?.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaOf(route.request.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every route, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(manifests: readonly ServiceManifest[], serverUrl = "/"): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const manifest of manifests) {
    for (const route of manifest.routes ?? []) {
      paths[route.path] ??= {};
      (paths[route.path] as JsonObject)[route.method.toLowerCase()] = operation(manifest.service, route);
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Smart Destination Platform API",
      version: "0.1.0",
      description:
        "Every error is application/problem+json (RFC 9457). Credentials go in the Authorization header: `Bearer <token>`.",
    },
    servers: [{ url: serverUrl }],
    tags: manifests
      .filter((m) => (m.routes ?? []).length > 0)
      .map((m) => ({ name: m.service, description: m.description })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { Problem: schemaOf(Problem, "output") },
    },
  };
}
