import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/** The dependency rule of DESIGN §3, checked over every import in the repository. */
const root = resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const found = [
    ...text.matchAll(/(?:import|export)[^"'`]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return found.map((match) => match[1] ?? match[2] ?? "");
}

/** Where an import lands, as a repository-relative path, or the package name for bare specifiers. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier;
  return relative(root, resolve(root, file, "..", specifier))
    .split(sep)
    .join("/");
}

describe("dependency rule", () => {
  it("packages never import functions or infra", () => {
    // Act
    const violations = sourceFiles("packages").flatMap((file) =>
      imports(file)
        .map((specifier) => target(file, specifier))
        .filter((to) => to.startsWith("functions/") || to.startsWith("infra/") || to.startsWith("@sdp/fn-"))
        .map((to) => `${file} -> ${to}`),
    );
    // Assess
    expect(violations).toEqual([]);
  });

  it("a service never imports another service's internals", () => {
    // Prepare
    const files = sourceFiles("functions").filter((file) => file.split(sep).length > 2);
    // Act
    const violations = files.flatMap((file) => {
      const service = file.split(sep)[1];
      return imports(file)
        .map((specifier) => target(file, specifier))
        .filter((to) => {
          const local = /^functions\/([^/]+)\//.exec(to)?.[1];
          const viaPackage = /^@sdp\/fn-([^/]+)/.exec(to)?.[1];
          return (
            (local !== undefined && local !== service) || (viaPackage !== undefined && viaPackage !== service)
          );
        })
        .map((to) => `${file} -> ${to}`);
    });
    // Assess
    expect(violations).toEqual([]);
  });

  it("only the registry reads other services' manifests, and only their manifests", () => {
    // Act
    const violations = imports(join("functions", "registry.ts")).filter(
      (specifier) => specifier.startsWith("@sdp/fn-") && !specifier.endsWith("/manifest"),
    );
    // Assess
    expect(violations).toEqual([]);
  });
});
