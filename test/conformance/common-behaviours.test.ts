import { describe, expect, it } from "vitest";
import {
  asArray,
  asObject,
  type BrokerResponse,
  CORE_CONTEXT,
  ERRORS,
  entityPath,
  expectProblem,
  type Json,
  uniqueId,
  uniqueType,
  useBroker,
} from "./harness";

/**
 * ETSI NGSI-LD test suite, CommonBehaviours: the answers every operation shares (Accept and Content-Type
 * negotiation, unknown parameters, unavailable @contexts, merge-patch) and tenancy. The platform's
 * destinations are its NGSI-LD tenants: a platform administrator names one in NGSILD-Tenant.
 */
const broker = useBroker();

const JSON_TYPE = "application/json";
const LD = "application/ld+json";
const GEO = "application/geo+json";
/** A remote @context the broker does not bundle: it never fetches one from the network. */
const UNBUNDLED_CONTEXT = "https://example.org/ngsi-ld/unretrievable-context.jsonld";

async function createEntity(id = uniqueId("Building"), type = uniqueType("Building")): Promise<string> {
  const response = await broker.request("POST", "/entities", {
    body: {
      id,
      type,
      name: { type: "Property", value: "Eiffel Tower" },
      speed: { type: "Property", value: 10 },
      location: { type: "GeoProperty", value: { type: "Point", coordinates: [2.2945, 48.8584] } },
    },
  });
  expect(response.status, response.text).toBe(201);
  return id;
}

async function createSubscription(): Promise<string> {
  const id = uniqueId("Subscription");
  const response = await broker.request("POST", "/subscriptions", {
    body: {
      id,
      type: "Subscription",
      entities: [{ type: uniqueType("Building") }],
      notification: { endpoint: { uri: broker.receiverUrl("/unused"), accept: JSON_TYPE } },
    },
  });
  expect(response.status, response.text).toBe(201);
  return id;
}

async function createTemporalEntity(type: string): Promise<string> {
  const id = uniqueId("Vehicle");
  const response = await broker.request("POST", "/temporal/entities", {
    body: {
      id,
      type,
      speed: [
        { type: "Property", value: 120, observedAt: "2020-08-01T12:03:00Z" },
        { type: "Property", value: 80, observedAt: "2020-08-01T12:07:00Z" },
      ],
    },
  });
  expect(response.status, response.text).toBe(201);
  return id;
}

describe("VerifyGETWithoutAccept", () => {
  const expectJsonWithLink = (response: BrokerResponse) => {
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get("content-type")).toContain(JSON_TYPE);
    expect(response.headers.get("link")).toContain(CORE_CONTEXT);
  };

  it("045_01_01 /entities/{entityId} with Accept */* answers application/json and a Link header", async () => {
    const id = await createEntity();
    expectJsonWithLink(await broker.request("GET", entityPath(id), { headers: { Accept: "*/*" } }));
  });

  it("045_01_02 /subscriptions/{subscriptionId} with Accept */* answers application/json and a Link header", async () => {
    const id = await createSubscription();
    expectJsonWithLink(
      await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`, { headers: { Accept: "*/*" } }),
    );
  });

  it("045_01_04 /temporal/entities with Accept */* answers application/json and a Link header", async () => {
    const type = uniqueType("Vehicle");
    await createTemporalEntity(type);
    expectJsonWithLink(
      await broker.request("GET", "/temporal/entities", {
        headers: { Accept: "*/*" },
        query: { type, timerel: "after", timeAt: "2020-08-01T12:05:00Z" },
      }),
    );
  });
});

describe("VerifyAcceptPrecedence", () => {
  const entityCases: [string, string, string][] = [
    ["045_02_01", "application/ld+json, application/json", JSON_TYPE],
    ["045_02_02", "application/geo+json, application/json", JSON_TYPE],
    ["045_02_03", "application/json;q=0.1, application/ld+json;q=0.9", LD],
    ["045_02_04", "application/ld+json", LD],
    ["045_04_01", "application/json;q=0, */*", LD],
    ["045_04_02", "application/json;q=0, application/ld+json", LD],
    ["045_04_03", "*/*;q=0.9, application/ld+json;q=0.8", JSON_TYPE],
    ["045_04_04", "application/ld+json;q=notanumber", LD],
  ];
  for (const [caseId, accept, expected] of entityCases) {
    it(`${caseId} Retrieve Entity with Accept "${accept}" answers ${expected}`, async () => {
      const id = await createEntity();
      const response = await broker.request("GET", entityPath(id), { headers: { Accept: accept } });
      expect(response.status, response.text).toBe(200);
      expect(response.headers.get("content-type")?.startsWith(expected)).toBe(true);
    });
  }

  const subscriptionCases: [string, string, string][] = [
    ["045_03_01", "application/geo+json, application/json", JSON_TYPE],
    ["045_03_02", "application/geo+json;q=0.9, application/ld+json;q=0.1", LD],
    ["045_03_03", "*/*", JSON_TYPE],
    ["045_03_04", "application/json;q=0, application/ld+json", LD],
  ];
  for (const [caseId, accept, expected] of subscriptionCases) {
    it(`${caseId} Retrieve Subscription with Accept "${accept}" answers ${expected}`, async () => {
      const id = await createSubscription();
      const response = await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`, {
        headers: { Accept: accept },
      });
      expect(response.status, response.text).toBe(200);
      expect(response.headers.get("content-type")?.startsWith(expected)).toBe(true);
    });
  }
});

describe("VerifyGeoJsonPrefer", () => {
  it("636_01_03 a 204 carries no Content-Length", async () => {
    const id = await createEntity();
    const response = await broker.request("DELETE", entityPath(id));
    expect(response.status).toBe(204);
    expect(response.headers.get("content-length")).toBeNull();
  });
});

describe("VerifyInvalidParameters", () => {
  const cases: [string, string, string, () => Json | undefined, Record<string, string>][] = [
    ["059_01_01", "POST", "/entities", () => ({ id: uniqueId("Building"), type: "Building" }), {}],
    ["059_01_02", "GET", "/entities", () => undefined, { type: "Building" }],
    [
      "059_01_03",
      "POST",
      "/temporal/entities",
      () => ({
        id: uniqueId("Building"),
        type: "Building",
        speed: [{ type: "Property", value: 1, observedAt: "2020-08-01T12:03:00Z" }],
      }),
      {},
    ],
    ["059_01_04", "GET", "/temporal/entities", () => undefined, { type: "Building" }],
    ["059_01_05", "GET", "/types", () => undefined, {}],
    [
      "059_01_06",
      "POST",
      "/subscriptions",
      () => ({
        type: "Subscription",
        entities: [{ type: "Building" }],
        notification: { endpoint: { uri: broker.receiverUrl("/unused"), accept: JSON_TYPE } },
      }),
      {},
    ],
    ["059_01_07", "GET", "/subscriptions", () => undefined, {}],
  ];
  for (const [caseId, method, path, body, query] of cases) {
    it(`${caseId} ${method} ${path} with an unknown parameter is 400 InvalidRequest`, async () => {
      const payload = body();
      const response = await broker.request(method, path, {
        query: { invalidParams: "invalidValue", ...query },
        ...(payload === undefined ? {} : { body: payload }),
      });
      expectProblem(response, 400, "InvalidRequest");
    });
  }
});

describe("VerifyLdContextNotAvailable", () => {
  const ldPost = (path: string, body: unknown) =>
    broker.request("POST", path, { body, headers: { "content-type": LD } });

  it("043_01_01 Create Entity with an unretrievable @context is 503 LdContextNotAvailable", async () => {
    const id = uniqueId("Building");
    const response = await ldPost("/entities", { id, type: "Building", "@context": UNBUNDLED_CONTEXT });
    expectProblem(response, 503, "LdContextNotAvailable");
    expect((await broker.request("GET", entityPath(id))).status).toBe(404);
  });

  it("043_01_02 Create Subscription with an unretrievable @context is 503 LdContextNotAvailable", async () => {
    const response = await ldPost("/subscriptions", {
      type: "Subscription",
      entities: [{ type: "Building" }],
      notification: { endpoint: { uri: broker.receiverUrl("/unused"), accept: JSON_TYPE } },
      "@context": UNBUNDLED_CONTEXT,
    });
    expectProblem(response, 503, "LdContextNotAvailable");
  });

  it("043_01_03 Create Temporal Representation with an unretrievable @context is 503 LdContextNotAvailable", async () => {
    const response = await ldPost("/temporal/entities", {
      id: uniqueId("Bus"),
      type: "Bus",
      speed: [{ type: "Property", value: 1, observedAt: "2020-08-01T12:03:00Z" }],
      "@context": UNBUNDLED_CONTEXT,
    });
    expectProblem(response, 503, "LdContextNotAvailable");
  });

  it("043_01_04 Batch Create with unretrievable @contexts reports LdContextNotAvailable for each entity", async () => {
    const ids = [uniqueId("Building"), uniqueId("Building")];
    const response = await ldPost(
      "/entityOperations/create",
      ids.map((id) => ({ id, type: "Building", "@context": UNBUNDLED_CONTEXT })),
    );
    expect(response.status, response.text).toBe(207);
    const errors = asArray(asObject(response.body).errors).map(asObject);
    expect(errors.map((e) => e.entityId).sort()).toEqual([...ids].sort());
    for (const { error } of errors) {
      expect(asObject(error).type).toBe(`${ERRORS}LdContextNotAvailable`);
      expect(typeof asObject(error).title).toBe("string");
    }
  });
});

describe("VerifyMergePatchJson", () => {
  it("044_01_01 PATCH /entities/{entityId}/attrs/{attrId} accepts application/merge-patch+json", async () => {
    const id = await createEntity();
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs/name`, {
      body: { type: "Property", value: "Tour Eiffel" },
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(response.status, response.text).toBe(204);
    const entity = asObject((await broker.request("GET", entityPath(id))).body);
    expect(asObject(entity.name).value).toBe("Tour Eiffel");
  });

  it("044_02_01 PATCH /subscriptions/{subscriptionId} accepts application/merge-patch+json", async () => {
    const id = await createSubscription();
    const response = await broker.request("PATCH", `/subscriptions/${encodeURIComponent(id)}`, {
      body: { subscriptionName: "renamed" },
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(response.status, response.text).toBe(204);
    const subscription = asObject(
      (await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`)).body,
    );
    expect(subscription.subscriptionName).toBe("renamed");
  });
});

describe("VerifyNotAcceptableMediaType", () => {
  it("049_01_01 GET /entities/{entityId} with Accept application/xml is 406", async () => {
    const id = await createEntity();
    const response = await broker.request("GET", entityPath(id), { headers: { Accept: "application/xml" } });
    expect(response.status).toBe(406);
  });

  it("049_01_02 GET /subscriptions/{subscriptionId} with Accept application/xml is 406", async () => {
    const id = await createSubscription();
    const response = await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`, {
      headers: { Accept: "application/xml" },
    });
    expect(response.status).toBe(406);
  });

  it("049_01_05 GET /temporal/entities with Accept application/xml is 406", async () => {
    const response = await broker.request("GET", "/temporal/entities", {
      headers: { Accept: "application/xml" },
      query: { type: "Vehicle", timerel: "after", timeAt: "2020-08-01T12:05:00Z" },
    });
    expect(response.status).toBe(406);
  });

  it("049_02_01 GET /subscriptions/{subscriptionId} with Accept application/geo+json is 406", async () => {
    const id = await createSubscription();
    const response = await broker.request("GET", `/subscriptions/${encodeURIComponent(id)}`, {
      headers: { Accept: GEO },
    });
    expect(response.status).toBe(406);
  });

  it("049_02_02 GET /temporal/entities with Accept application/geo+json is 406", async () => {
    const response = await broker.request("GET", "/temporal/entities", {
      headers: { Accept: GEO },
      query: { type: "Vehicle", timerel: "after", timeAt: "2020-08-01T12:05:00Z" },
    });
    expect(response.status).toBe(406);
  });
});

describe("VerifyUnsupportedMediaType", () => {
  const xml = { "content-type": "application/xml" };

  it("048_01_01 PATCH /entities/{entityId}/attrs/{attrId} with application/xml is 415", async () => {
    const id = await createEntity();
    const response = await broker.request("PATCH", `${entityPath(id)}/attrs/speed`, {
      body: { type: "Property", value: 20 },
      headers: xml,
    });
    expect(response.status).toBe(415);
  });

  it("048_01_02 PATCH /subscriptions/{subscriptionId} with application/xml is 415", async () => {
    const id = await createSubscription();
    const response = await broker.request("PATCH", `/subscriptions/${encodeURIComponent(id)}`, {
      body: { subscriptionName: "renamed" },
      headers: xml,
    });
    expect(response.status).toBe(415);
  });

  it("048_01_03 POST /entities with application/xml is 415 and creates nothing", async () => {
    const id = uniqueId("Building");
    const response = await broker.request("POST", "/entities", {
      body: { id, type: "Building" },
      headers: xml,
    });
    expect(response.status).toBe(415);
    expect((await broker.request("GET", entityPath(id))).status).toBe(404);
  });

  it("048_01_04 POST /subscriptions with application/xml is 415", async () => {
    const response = await broker.request("POST", "/subscriptions", {
      body: {
        type: "Subscription",
        entities: [{ type: "Building" }],
        notification: { endpoint: { uri: broker.receiverUrl("/unused") } },
      },
      headers: xml,
    });
    expect(response.status).toBe(415);
  });

  it("048_01_05 POST /entityOperations/create with application/xml is 415", async () => {
    const response = await broker.request("POST", "/entityOperations/create", {
      body: [
        { id: uniqueId("Building"), type: "Building" },
        { id: uniqueId("Building"), type: "Building" },
      ],
      headers: xml,
    });
    expect(response.status).toBe(415);
  });

  it("048_01_06 POST /temporal/entities with application/xml is 415", async () => {
    const response = await broker.request("POST", "/temporal/entities", {
      body: {
        id: uniqueId("Vehicle"),
        type: "Vehicle",
        speed: [{ type: "Property", value: 1, observedAt: "2020-08-01T12:03:00Z" }],
      },
      headers: xml,
    });
    expect(response.status).toBe(415);
  });
});

describe("Tenancy", () => {
  it("414_01_01 the NGSILD-Tenant of a request is echoed in its answers", async () => {
    const tenant = broker.platform().summary.demoTenant ?? "";
    const id = uniqueId("Vehicle");
    const created = await broker.request("POST", "/entities", { body: { id, type: "Vehicle" }, tenant });
    expect(created.status).toBe(201);
    expect(created.headers.get("NGSILD-Tenant")).toBe(tenant);
    const retrieved = await broker.request("GET", entityPath(id), { tenant });
    expect(retrieved.status).toBe(200);
    expect(retrieved.headers.get("NGSILD-Tenant")).toBe(tenant);
  });

  it("5510_01_01 operations on a destination that does not exist are 404 NonexistentTenant, echoing it", async () => {
    const tenant = `tp5510${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
    const id = await createEntity();
    const query = await broker.request("GET", "/entities", { tenant, query: { type: "Building" } });
    expectProblem(query, 404, "NonexistentTenant");
    expect(query.headers.get("NGSILD-Tenant")).toBe(tenant);
    // The demo destination's entity is not visible from the other one either.
    expectProblem(await broker.request("GET", entityPath(id), { tenant }), 404, "NonexistentTenant");
  });
});
