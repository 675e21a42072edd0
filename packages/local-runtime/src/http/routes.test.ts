import { describe, expect, it } from "vitest";
import { RouteTable } from "./routes";

function table() {
  return new RouteTable([
    { method: "GET", path: "/", target: "root" },
    { method: "GET", path: "/tenants", target: "list" },
    { method: "POST", path: "/tenants", target: "create" },
    { method: "GET", path: "/tenants/{slug}", target: "get" },
    { method: "GET", path: "/tenants/me", target: "me" },
    { method: "POST", path: "/tenants/{slug}/keys", target: "createKey" },
    { method: "GET", path: "/assets/{proxy+}", target: "assets" },
  ]);
}

describe("route table", () => {
  it("matches literals before parameters and decodes parameters", () => {
    // Prepare
    const routes = table();

    // Act
    const literal = routes.match("GET", "/tenants/me");
    const param = routes.match("GET", "/tenants/la%20palma");
    const root = routes.match("GET", "/");
    const trailing = routes.match("GET", "/tenants/");

    // Assess
    expect(literal).toMatchObject({ kind: "found", target: "me", pathParameters: null });
    expect(param).toMatchObject({ kind: "found", target: "get", pathParameters: { slug: "la palma" } });
    expect(root).toMatchObject({ kind: "found", target: "root" });
    expect(trailing).toMatchObject({ kind: "found", target: "list" });
  });

  it("selects the resource first, then the method, like API Gateway", () => {
    // Prepare
    const routes = table();

    // Act
    const wrongMethod = routes.match("DELETE", "/tenants");
    // `/tenants/me` is the most specific resource; GET on `{slug}` does not rescue a POST.
    const noFallback = routes.match("POST", "/tenants/me");

    // Assess
    expect(wrongMethod).toMatchObject({ kind: "method-not-allowed", allowed: ["GET", "POST"] });
    expect(noFallback).toMatchObject({ kind: "method-not-allowed", allowed: ["GET"] });
  });

  it("binds a greedy parameter to the rest of the path and needs at least one segment", () => {
    // Prepare
    const routes = table();

    // Act
    const deep = routes.match("GET", "/assets/img/2024/a%2Fb.png");
    const empty = routes.match("GET", "/assets");

    // Assess
    expect(deep).toMatchObject({ kind: "found", pathParameters: { proxy: "img/2024/a/b.png" } });
    expect(empty).toEqual({ kind: "not-found" });
  });

  it("answers not-found for unknown, empty-segment and undecodable paths", () => {
    // Prepare
    const routes = table();

    // Act / Assess
    expect(routes.match("GET", "/unknown")).toEqual({ kind: "not-found" });
    expect(routes.match("POST", "/tenants//keys")).toEqual({ kind: "not-found" });
    expect(routes.match("GET", "/tenants/%E0%A4%A")).toEqual({ kind: "not-found" });
  });

  it("rejects a malformed or duplicated declaration at construction", () => {
    // Act / Assess
    expect(() => new RouteTable([{ method: "GET", path: "/a/{proxy+}/b", target: 1 }])).toThrow(/greedy/);
    expect(() => new RouteTable([{ method: "GET", path: "a", target: 1 }])).toThrow(/start with/);
    expect(
      () =>
        new RouteTable([
          { method: "GET", path: "/a", target: 1 },
          { method: "get", path: "/a", target: 2 },
        ]),
    ).toThrow(/duplicate/);
  });
});
