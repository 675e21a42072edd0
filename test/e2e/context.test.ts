import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * The NGSI-LD context broker as clients meet it: `npm start`, then HTTP under /ngsi-ld/v1 on the demo
 * destination, as a platform administrator naming it with NGSILD-Tenant and as one of its operators.
 * Every Smart Data Models example is sent as the upstream published it: the valid ones round-trip, the
 * broken ones (MANIFEST.json upstreamQuirks) are refused with a 400 that names the problem.
 */
let platform: PlatformProcess;
const dataDir = newDataDir();
let operatorToken: string;
let strangerToken: string;
const stranger = `e2e-${crypto.randomUUID().slice(0, 8)}`;

const FIXTURES = join(import.meta.dirname, "../../functions/context/test/fixtures/smart-data-models");
const CORE = /^https:\/\/uri\.etsi\.org\/ngsi-ld\/v1\/ngsi-ld-core-context/;
const NGSI_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/";

const api = (path: string) => `${platform.summary.api}/ngsi-ld/v1${path}`;
const entityUrl = (id: string, query = "") => api(`/entities/${encodeURIComponent(id)}${query}`);
const linkTo = (url: string) =>
  `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
const asAdmin = (headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${platform.summary.adminToken}`,
  "NGSILD-Tenant": "villamar",
  ...headers,
});
const asOperator = (headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${operatorToken}`,
  ...headers,
});

type Json = Record<string, unknown>;

function fixture(file: string): Json {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${file} is not an object`);
  return Object.fromEntries(Object.entries(parsed));
}

/** The examples the upstream quirks make invalid NGSI-LD, with what the broker must name. */
const BROKEN: Record<string, RegExp> = {
  "TouristDestination.normalized.jsonld": /id: must be a URI/,
  "TouristTrip.normalized.jsonld": /dateLastReported\.type: "DateTime" is not an NGSI-LD attribute type/,
  "Event.normalized.jsonld": /eventPriceFrom\.type: "number" is not an NGSI-LD attribute type/,
  "PublicService.normalized.jsonld":
    /isGroupedBy\.value: a Relationship carries its target in "object", not "value"/,
  "Cost.normalized.jsonld": /isDefinedBy\.value: a Relationship carries its target in "object", not "value"/,
  "QueueMonitor.normalized.jsonld":
    /location\.type: the NGSI-LD location attribute must be a GeoProperty, not a Property/,
};
/** Members NGSI-LD reserves for the broker (clause 5.2.2): accepted, ignored, regenerated. */
const SYSTEM_MEMBERS = new Set(["createdAt", "modifiedAt"]);

const examples = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".normalized.jsonld"))
  .sort();
const valid = examples.filter((f) => !(f in BROKEN));

beforeAll(async () => {
  platform = await startPlatform(dataDir);
  operatorToken = await signAs(dataDir, platform.summary.issuer, {
    "cognito:groups": ["operator"],
    "custom:tenant": "villamar",
  });
  const created = await fetch(`${platform.summary.api}/platform/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.summary.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ slug: stranger, name: "Another destination" }),
  });
  expect(created.status).toBe(202);
  for (let tries = 0; tries < 300; tries++) {
    const response = await fetch(`${platform.summary.api}/platform/tenants/${stranger}`, {
      headers: { authorization: `Bearer ${platform.summary.adminToken}` },
    });
    const { status } = (await response.json()) as { status: string };
    if (status !== "provisioning") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  strangerToken = await signAs(dataDir, platform.summary.issuer, {
    "cognito:groups": ["admin"],
    "custom:tenant": stranger,
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

describe("the NGSI-LD context broker of the local platform", () => {
  it("knows which Smart Data Models examples are broken upstream and which are valid", () => {
    // Assess
    expect(examples).toHaveLength(23);
    expect(valid).toHaveLength(17);
  });

  it.each(valid)("accepts %s as published and returns it unchanged", async (file) => {
    // Prepare
    const { "@context": context, ...entity } = fixture(file);
    const contexts = (Array.isArray(context) ? context : [context]).filter(
      (c) => typeof c === "string" && !CORE.test(c),
    );
    const [own] = contexts;
    await fetch(entityUrl(String(entity.id)), { method: "DELETE", headers: asAdmin() });
    // Act
    const created = await fetch(api("/entities"), {
      method: "POST",
      headers: asAdmin({ "content-type": "application/ld+json" }),
      body: JSON.stringify({ "@context": context, ...entity }),
    });
    const read = await fetch(entityUrl(String(entity.id)), {
      headers: asOperator(typeof own === "string" ? { link: linkTo(own) } : {}),
    });
    // Assess
    expect(created.status, await created.clone().text()).toBe(201);
    // The id stands as given: a URN's characters are all allowed in a path segment.
    expect(created.headers.get("location")).toBe(`/ngsi-ld/v1/entities/${String(entity.id)}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe("application/json");
    const expected = Object.fromEntries(Object.entries(entity).filter(([name]) => !SYSTEM_MEMBERS.has(name)));
    expect(await read.json()).toEqual(expected);
  });

  it.each(Object.entries(BROKEN))("refuses %s with a 400 naming the problem", async (file, problem) => {
    // Prepare
    const body = fixture(file);
    // Act
    const response = await fetch(api("/entities"), {
      method: "POST",
      headers: asAdmin({ "content-type": "application/ld+json" }),
      body: JSON.stringify(body),
    });
    const problemDetails = (await response.json()) as { type: string; detail: string };
    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(problemDetails.type).toBe(`${NGSI_ERRORS}BadRequestData`);
    expect(problemDetails.detail).toMatch(problem);
  });

  it("refuses the upstream PointOfInterest key-values example, which is not valid JSON", async () => {
    // Act
    const response = await fetch(api("/entities"), {
      method: "POST",
      headers: asAdmin({ "content-type": "application/ld+json" }),
      body: readFileSync(join(FIXTURES, "PointOfInterest.keyvalues-malformed.jsonld"), "utf8"),
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: `${NGSI_ERRORS}InvalidRequest` });
  });

  it("queries the examples by type, q and geo-query with the Smart Data Models @context", async () => {
    // Prepare
    const poi = linkTo(
      "https://raw.githubusercontent.com/smart-data-models/dataModel.PointOfInterest/master/context.jsonld",
    );
    const near = new URLSearchParams({
      georel: "near;maxDistance==100",
      geometry: "Point",
      coordinates: "[-8.76846,42.60214]",
      options: "keyValues",
      pick: "id",
    });
    // Act
    const beaches = await fetch(api("/entities?type=Beach,Museum&options=keyValues&attrs=name"), {
      headers: asOperator({ link: poi }),
    });
    const long = await fetch(
      api(`/entities?type=Beach&q=${encodeURIComponent('length>400;name=="Playa de a Concha"')}`),
      {
        headers: asOperator({ link: poi }),
      },
    );
    const nearby = await fetch(api(`/entities?${near}`), { headers: asOperator({ link: poi }) });
    // Assess
    expect(await beaches.json()).toEqual([
      { id: "urn:ngsi-ld:Beach:Beach-A-Concha-123456", type: "Beach", name: "Playa de a Concha" },
      {
        id: "urn:ngsi-ld:Museum:Museum-Barcelona-MACBA-1234",
        type: "Museum",
        name: "Museo de Arte Contemporaneo de Barcelona",
      },
    ]);
    expect(((await long.json()) as Json[]).map((e) => e.id)).toEqual([
      "urn:ngsi-ld:Beach:Beach-A-Concha-123456",
    ]);
    const found = ((await nearby.json()) as Json[]).map((e) => e.id);
    expect(found).toEqual(
      expect.arrayContaining([
        "urn:ngsi-ld:Beach:Beach-A-Concha-123456",
        "urn:ngsi-ld:PointOfInterest:PointOfInterest-A-Concha-123456",
        "urn:ngsi-ld:wastecontainer:1021:AAWD",
      ]),
    );
    expect(found).not.toContain("urn:ngsi-ld:Museum:Museum-Barcelona-MACBA-1234");
  });

  it("runs batch operations and paginates with Link headers and a count", async () => {
    // Prepare
    const run = crypto.randomUUID().slice(0, 8);
    const kiosks = Array.from({ length: 5 }, (_, i) => ({
      id: `urn:ngsi-ld:Kiosk:${run}-${i}`,
      type: `Kiosk${run}`,
      open: { type: "Property", value: i % 2 === 0 },
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [-0.37 + i / 1000, 39.47] } },
    }));
    const post = (operation: string, body: unknown, query = "") =>
      fetch(api(`/entityOperations/${operation}${query}`), {
        method: "POST",
        headers: asOperator({ "content-type": "application/json" }),
        body: JSON.stringify(body),
      });
    // Act
    const created = await post("create", kiosks);
    const upserted = await post(
      "upsert",
      [{ id: kiosks[0]?.id, type: `Kiosk${run}`, open: false }],
      "?options=update",
    );
    const firstPage = await fetch(api(`/entities?type=Kiosk${run}&limit=2&count=true&options=keyValues`), {
      headers: asOperator(),
    });
    const next = /<([^>]+)>;\s*rel="next"/.exec(firstPage.headers.get("link") ?? "")?.[1];
    const secondPage = await fetch(`${platform.summary.api}${next ?? ""}`, { headers: asOperator() });
    const closed = await fetch(api(`/entities?type=Kiosk${run}&q=open==false&options=keyValues&attrs=open`), {
      headers: asOperator(),
    });
    const deleted = await post("delete", [...kiosks.map((k) => k.id), `urn:ngsi-ld:Kiosk:${run}-missing`]);
    const afterDelete = await fetch(api(`/entities?type=Kiosk${run}&count=true`), { headers: asOperator() });
    // Assess
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual(kiosks.map((k) => k.id));
    expect(upserted.status).toBe(204);
    expect(firstPage.headers.get("NGSILD-Results-Count")).toBe("5");
    expect(((await firstPage.json()) as Json[]).map((e) => e.id)).toEqual([kiosks[0]?.id, kiosks[1]?.id]);
    expect(((await secondPage.json()) as Json[]).map((e) => e.id)).toEqual([kiosks[2]?.id, kiosks[3]?.id]);
    expect(((await closed.json()) as Json[]).map((e) => e.id)).toEqual([
      kiosks[0]?.id,
      kiosks[1]?.id,
      kiosks[3]?.id,
    ]);
    expect(deleted.status).toBe(207);
    expect(await deleted.json()).toMatchObject({
      success: kiosks.map((k) => k.id),
      errors: [
        { entityId: `urn:ngsi-ld:Kiosk:${run}-missing`, error: { type: `${NGSI_ERRORS}ResourceNotFound` } },
      ],
    });
    expect(afterDelete.headers.get("NGSILD-Results-Count")).toBe("0");
  });

  it("keeps entity scopes and selects by scopeQ, # and + travelling URL-encoded", async () => {
    // Prepare
    const run = crypto.randomUUID().slice(0, 8);
    const type = `Lifeguard${run}`;
    const towers = [
      { id: `urn:ngsi-ld:${type}:north`, type, scope: "/Villamar/Beaches/North" },
      { id: `urn:ngsi-ld:${type}:south`, type, scope: ["/Villamar/Beaches/South", "/Council/Safety"] },
      { id: `urn:ngsi-ld:${type}:port`, type, scope: "/Villamar/Port" },
    ];
    const query = (scopeQ: string) =>
      fetch(api(`/entities?type=${type}&scopeQ=${encodeURIComponent(scopeQ)}&options=keyValues`), {
        headers: asOperator(),
      });
    const ids = async (response: Response) => ((await response.json()) as Json[]).map((e) => e.id);
    // Act
    const created = await fetch(api("/entityOperations/create"), {
      method: "POST",
      headers: asOperator({ "content-type": "application/json" }),
      body: JSON.stringify(towers),
    });
    const beaches = await query("/Villamar/Beaches/#");
    const oneLevel = await query("/Villamar/+");
    const both = await query("/Villamar/+/South;/Council/Safety");
    const invalid = await query("/Villamar/#/North");
    const removed = await fetch(entityUrl(towers[2]?.id ?? ""), {
      method: "PATCH",
      headers: asOperator({ "content-type": "application/merge-patch+json" }),
      body: JSON.stringify({ scope: "urn:ngsi-ld:null" }),
    });
    const anyScope = await query("/#");
    // Assess
    expect(created.status).toBe(201);
    expect(beaches.status).toBe(200);
    expect(await ids(beaches)).toEqual([towers[0]?.id, towers[1]?.id]);
    expect(await ids(oneLevel)).toEqual([towers[2]?.id]);
    expect(await ids(both)).toEqual([towers[1]?.id]);
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      type: `${NGSI_ERRORS}BadRequestData`,
      errors: [{ field: "scopeQ" }],
    });
    expect(removed.status).toBe(204);
    expect(await anyScope.json()).toEqual([
      { id: towers[0]?.id, type, scope: "/Villamar/Beaches/North" },
      { id: towers[1]?.id, type, scope: ["/Villamar/Beaches/South", "/Council/Safety"] },
    ]);
  });

  it("keeps VocabProperty, ListProperty and ListRelationship and selects by q on them", async () => {
    // Prepare
    const run = crypto.randomUUID().slice(0, 8);
    const type = `BusLine${run}`;
    const id = `urn:ngsi-ld:${type}:1`;
    const line = {
      id,
      type,
      category: { vocab: "urban" },
      frequencies: { type: "ListProperty", valueList: [10, 15, 30], unitCode: "MIN" },
      stops: {
        type: "ListRelationship",
        objectList: [{ object: "urn:ngsi-ld:Stop:Port" }, "urn:ngsi-ld:Stop:Beach"],
        objectType: "Stop",
      },
    };
    const select = (q: string) =>
      fetch(api(`/entities?type=${type}&q=${encodeURIComponent(q)}&options=keyValues`), {
        headers: asOperator(),
      }).then(async (r) => ((await r.json()) as Json[]).map((e) => e.id));
    // Act
    const created = await fetch(api("/entities"), {
      method: "POST",
      headers: asOperator({ "content-type": "application/json" }),
      body: JSON.stringify(line),
    });
    const merged = await fetch(entityUrl(id), {
      method: "PATCH",
      headers: asOperator({ "content-type": "application/merge-patch+json" }),
      body: JSON.stringify({ category: { vocab: ["urban", "night"] } }),
    });
    const normalized = await fetch(entityUrl(id), { headers: asOperator() });
    const keyValues = await fetch(entityUrl(id, "?options=keyValues"), { headers: asOperator() });
    const byVocab = await select('category=="night"');
    const byMember = await select("frequencies==15;stops==urn:ngsi-ld:Stop:Beach");
    const noMatch = await select("frequencies==20");
    // Assess
    expect(created.status).toBe(201);
    expect(merged.status).toBe(204);
    expect(await normalized.json()).toEqual({
      id,
      type,
      category: { type: "VocabProperty", vocab: ["urban", "night"] },
      frequencies: { type: "ListProperty", valueList: [10, 15, 30], unitCode: "MIN" },
      stops: {
        type: "ListRelationship",
        objectList: [{ object: "urn:ngsi-ld:Stop:Port" }, { object: "urn:ngsi-ld:Stop:Beach" }],
        objectType: "Stop",
      },
    });
    expect(await keyValues.json()).toEqual({
      id,
      type,
      category: { vocab: ["urban", "night"] },
      frequencies: [10, 15, 30],
      stops: ["urn:ngsi-ld:Stop:Port", "urn:ngsi-ld:Stop:Beach"],
    });
    expect(byVocab).toEqual([id]);
    expect(byMember).toEqual([id]);
    expect(noMatch).toEqual([]);
  });

  it("keeps one destination's entities from another destination's staff", async () => {
    // Prepare
    const id = "urn:ngsi-ld:Beach:Beach-A-Concha-123456";
    // Act
    const own = await fetch(entityUrl(id), { headers: asOperator() });
    const namingVillamar = await fetch(entityUrl(id), {
      headers: { authorization: `Bearer ${strangerToken}`, "NGSILD-Tenant": "villamar" },
    });
    const inTheirOwn = await fetch(entityUrl(id), { headers: { authorization: `Bearer ${strangerToken}` } });
    const query = await fetch(api("/entities?idPattern=.*"), {
      headers: { authorization: `Bearer ${strangerToken}` },
    });
    // Assess
    expect(own.status).toBe(200);
    expect(namingVillamar.status).toBe(403);
    expect(inTheirOwn.status).toBe(404);
    expect(await query.json()).toEqual([]);
  });

  it("answers bad requests with NGSI-LD problems, never a 500", async () => {
    // Act
    const malformed = await fetch(api("/entities"), {
      method: "POST",
      headers: asAdmin({ "content-type": "application/json" }),
      body: '{"id": "urn:ngsi-ld:X:1",',
    });
    const tooLarge = await fetch(api("/entities"), {
      method: "POST",
      headers: asAdmin({ "content-type": "application/json" }),
      body: JSON.stringify({ id: "urn:ngsi-ld:X:big", type: "X", blob: "x".repeat(2_000_000) }),
    });
    const unknownParameter = await fetch(api("/entities?type=X&debug=1"), { headers: asOperator() });
    const tooMany = await fetch(api("/entities?type=X&limit=5000"), { headers: asOperator() });
    const remoteContext = await fetch(api("/entities?type=X"), {
      headers: asOperator({ link: linkTo("https://example.org/context.jsonld") }),
    });
    const viewerWrite = await fetch(api("/entities"), {
      method: "POST",
      headers: {
        authorization: `Bearer ${await signAs(dataDir, platform.summary.issuer, { "cognito:groups": ["viewer"], "custom:tenant": "villamar" })}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ id: "urn:ngsi-ld:X:viewer", type: "X" }),
    });
    // Assess
    expect([
      malformed.status,
      tooLarge.status,
      unknownParameter.status,
      tooMany.status,
      remoteContext.status,
      viewerWrite.status,
    ]).toEqual([400, 413, 400, 403, 503, 403]);
    expect(await malformed.json()).toMatchObject({ type: `${NGSI_ERRORS}InvalidRequest` });
    expect(await unknownParameter.json()).toMatchObject({ type: `${NGSI_ERRORS}InvalidRequest` });
    expect(await tooMany.json()).toMatchObject({ type: `${NGSI_ERRORS}TooManyResults` });
    expect(await remoteContext.json()).toMatchObject({ type: `${NGSI_ERRORS}LdContextNotAvailable` });
  });

  it("describes the destination's types and attributes", async () => {
    // Act
    const types = await fetch(api("/types"), { headers: asOperator() });
    const beach = await fetch(
      api(`/types/${encodeURIComponent("https://smartdatamodels.org/dataModel.PointOfInterest/Beach")}`),
      {
        headers: asOperator(),
      },
    );
    const location = await fetch(api("/attributes/location?details=true"), { headers: asOperator() });
    // Assess
    expect(await types.json()).toMatchObject({
      type: "EntityTypeList",
      typeList: expect.arrayContaining(["https://smartdatamodels.org/dataModel.PointOfInterest/Beach"]),
    });
    expect(await beach.json()).toMatchObject({ type: "EntityTypeInfo", entityCount: 1 });
    expect(await location.json()).toMatchObject({
      type: "Attribute",
      attributeName: "location",
      attributeTypes: ["GeoProperty"],
    });
  });
});
