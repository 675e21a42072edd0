import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildHandler as createEntity } from "../src/handlers/createEntity";
import { buildHandler as retrieveEntity } from "../src/handlers/retrieveEntity";
import { call, freshTenant, staff, testDeps } from "./support";

/**
 * Every NGSI-LD example of the Smart Data Models fixtures (see fixtures/smart-data-models/LICENSE.md),
 * as published: the valid ones round-trip through create and retrieve, the ones MANIFEST.json lists
 * quirks for that make them invalid NGSI-LD are refused naming the problem.
 */
const FIXTURES = join(import.meta.dirname, "fixtures/smart-data-models");
const CORE = /^https:\/\/uri\.etsi\.org\/ngsi-ld\/v1\/ngsi-ld-core-context/;

const BROKEN: Record<string, string[]> = {
  "TouristDestination.normalized.jsonld": [
    "id",
    "type",
    "description.type",
    "includesAttraction.type",
    "name.type",
  ],
  "TouristTrip.normalized.jsonld": [
    "dateLastReported.type",
    "endDate.type",
    "location.value",
    "startDate.type",
  ],
  "Event.normalized.jsonld": [
    "eventPriceFrom.type",
    "eventPriceTo.type",
    "isAccessibleForFree.type",
    "location.type",
    "maximumAttendeeCapacity.type",
    "ratingValueAverage.type",
    "starRatingDetailed.type",
    "url.type",
    "wheelChairAccessible.type",
  ],
  "PublicService.normalized.jsonld": [
    "isGroupedBy.value",
    "hasCriterion.value",
    "hasCompetentAuthority.value",
    "hasInput.value",
    "follows.value",
    "hasContactPoint.value",
    "hasCost.value",
  ],
  "Cost.normalized.jsonld": ["value", "isDefinedBy.value"],
  "QueueMonitor.normalized.jsonld": ["location.type"],
};

const deps = testDeps();
const create = createEntity(deps);
const retrieve = retrieveEntity(deps);
let as: ReturnType<typeof staff>;

beforeAll(async () => {
  as = staff((await freshTenant()).slug);
});

function fixture(file: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${file} is not an object`);
  return Object.fromEntries(Object.entries(parsed));
}

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".normalized.jsonld"))
  .sort();

describe("the Smart Data Models examples", () => {
  it.each(files.filter((f) => !(f in BROKEN)))("round-trip: %s", async (file) => {
    // Prepare
    const { "@context": context, ...entity } = fixture(file);
    const own = (Array.isArray(context) ? context : [context]).find(
      (c) => typeof c === "string" && !CORE.test(c),
    );
    const link: Record<string, string> =
      typeof own === "string" ? { link: `<${own}>; rel="http://www.w3.org/ns/json-ld#context"` } : {};
    // Act
    const created = await call(create, {
      method: "POST",
      body: { "@context": context, ...entity },
      headers: { "content-type": "application/ld+json" },
      principal: as,
    });
    const read = await call(retrieve, {
      pathParameters: { entityId: String(entity.id) },
      headers: link,
      principal: as,
    });
    // Assess
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { modifiedAt: _ignored, ...expected } = entity;
    expect(read.body).toEqual(expected);
  });

  it.each(Object.entries(BROKEN))("are refused naming every problem: %s", async (file, fields) => {
    // Act
    const response = await call(create, {
      method: "POST",
      body: fixture(file),
      headers: { "content-type": "application/ld+json" },
      principal: as,
    });
    // Assess
    expect(response.status).toBe(400);
    const problem = response.body as { type: string; errors: Array<{ field: string }> };
    expect(problem.type).toBe("https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
    expect(problem.errors.map((e) => e.field).sort()).toEqual([...fields].sort());
  });
});
