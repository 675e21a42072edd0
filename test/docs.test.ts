import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPENAPI_FILE, renderOpenApi } from "../bin/generate-openapi";

describe("generated API reference", () => {
  it("docs/api/openapi.json matches the schemas (run `npm run docs:api` after changing a route)", () => {
    // Act
    const committed = readFileSync(OPENAPI_FILE, "utf8");
    // Assess
    expect(committed).toBe(renderOpenApi());
  });

  it("documents every route with its problem responses", () => {
    // Act
    const document = JSON.parse(renderOpenApi());
    // Assess
    expect(
      document.paths["/platform/tenants"].post.requestBody.content["application/json"].schema.properties.slug,
    ).toBeDefined();
    expect(
      document.paths["/platform/tenants/{slug}"].get.responses["401"].content["application/problem+json"],
    ).toBeDefined();
  });
});
