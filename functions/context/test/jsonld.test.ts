import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledContextLoader, bundledContextUrls } from "../src/adapters/bundled-contexts";
import { CORE_CONTEXT_URL, contextCache } from "../src/domain/contexts";
import { compactTerm, EMPTY_CONTEXT, expandTerm, processContext } from "../src/domain/jsonld";

const NGSI = "https://uri.etsi.org/ngsi-ld/";
const unique = () => `t${crypto.randomUUID().slice(0, 8)}`;

describe("JSON-LD contexts", () => {
  it("expands terms, compact IRIs and @vocab, and compacts back to the shortest name", async () => {
    // Prepare
    const ctx = await processContext(
      EMPTY_CONTEXT,
      {
        ex: "https://example.org/",
        "@vocab": "https://vocab.example/",
        temperature: "ex:temperature",
        speed: { "@id": "ex:speed", "@type": "@id" },
        alias: "temperature",
      },
      async () => undefined,
    );
    // Act
    const expanded = ["temperature", "speed", "ex:humidity", "pressure", "urn:x:y", "alias"].map((t) =>
      expandTerm(ctx, t),
    );
    const compacted = expanded.map((iri) => compactTerm(ctx, iri));
    // Assess
    expect(expanded).toEqual([
      "https://example.org/temperature",
      "https://example.org/speed",
      "https://example.org/humidity",
      "https://vocab.example/pressure",
      "urn:x:y",
      "https://example.org/temperature",
    ]);
    expect(compacted).toEqual(["alias", "speed", "ex:humidity", "pressure", "urn:x:y", "alias"]);
  });

  it("applies the core context last, so its terms win, while a user @vocab still applies", async () => {
    // Prepare
    const cache = contextCache(bundledContextLoader);
    const tenant = unique();
    // Act
    const ctx = await cache.resolve(tenant, [
      { "@vocab": "https://mine.example/", location: "https://mine.example/where" },
    ]);
    // Assess
    expect(expandTerm(ctx, "location")).toBe(`${NGSI}location`);
    expect(expandTerm(ctx, "Property")).toBe(`${NGSI}Property`);
    expect(expandTerm(ctx, "speed")).toBe("https://mine.example/speed");
  });

  it("resolves the Smart Data Models contexts offline by either published URL", async () => {
    // Prepare
    const cache = contextCache(bundledContextLoader);
    const tenant = unique();
    // Act
    const raw = await cache.resolve(
      tenant,
      "https://raw.githubusercontent.com/smart-data-models/dataModel.PointOfInterest/master/context.jsonld",
    );
    const pages = await cache.resolve(tenant, [
      "https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld",
      CORE_CONTEXT_URL,
    ]);
    // Assess
    expect(expandTerm(raw, "Beach")).toBe("https://smartdatamodels.org/dataModel.PointOfInterest/Beach");
    expect(expandTerm(pages, "name")).toBe("https://smartdatamodels.org/name");
    expect(compactTerm(raw, "https://smartdatamodels.org/dataModel.PointOfInterest/Beach")).toBe("Beach");
  });

  it("answers an unresolvable remote context with 503 LdContextNotAvailable, and a malformed one with 400", async () => {
    // Prepare
    const cache = contextCache(bundledContextLoader);
    // Act
    // Awaited one at a time, so no rejection waits unobserved while another is asserted.
    const remote = cache.resolve(unique(), "https://example.org/my-context.jsonld");
    await expect(remote).rejects.toMatchObject({
      status: 503,
      type: "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable",
    });
    const relative = cache.resolve(unique(), "my-context.jsonld");
    await expect(relative).rejects.toMatchObject({ status: 400, code: "BadRequestData" });
    const cyclic = processContext(EMPTY_CONTEXT, { a: "b:x", b: "a:y" }, async () => undefined);
    // Assess
    await expect(cyclic).rejects.toMatchObject({
      status: 400,
      detail: expect.stringContaining("cyclically"),
    });
  });

  it("keeps two requesters' contexts apart: same IRI, each its own short name", async () => {
    // Prepare
    const cache = contextCache(bundledContextLoader);
    const tenant = unique();
    const writer = await cache.resolve(tenant, { temp: "https://example.org/temperature" });
    const reader = await cache.resolve(tenant, { temperatura: "https://example.org/temperature" });
    // Act
    const iri = expandTerm(writer, "temp");
    // Assess
    expect(compactTerm(reader, iri)).toBe("temperatura");
    expect(compactTerm(await cache.resolve(tenant, undefined), iri)).toBe(iri);
  });

  it("bundles each Smart Data Models context unchanged from its upstream copy", async () => {
    // Prepare
    const fixtures = join(import.meta.dirname, "fixtures/smart-data-models/contexts");
    const urls = bundledContextUrls().filter((url) => url.includes("raw.githubusercontent.com"));
    // Act
    const pairs = await Promise.all(
      urls.map(async (url) => {
        const subject = /smart-data-models\/(dataModel\.[A-Za-z-]+)\//.exec(url)?.[1] ?? "";
        const upstream: unknown = JSON.parse(
          readFileSync(join(fixtures, `${subject}.context.jsonld`), "utf8"),
        );
        return { bundled: await bundledContextLoader(url), upstream };
      }),
    );
    // Assess
    expect(pairs).toHaveLength(10);
    for (const { bundled, upstream } of pairs) expect(bundled).toEqual(upstream);
  });
});
