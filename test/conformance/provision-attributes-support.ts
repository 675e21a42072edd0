import { expect } from "vitest";
import {
  asObject,
  type Broker,
  type BrokerResponse,
  ERRORS,
  type Json,
  linkTo,
  SDM_CONTEXT,
  uniqueId,
  uniqueType,
} from "./harness";

/**
 * Payloads and helpers shared by the two EntityAttributes conformance files (split so that each runs
 * within its time budget). The bundled Smart Data Models PointOfInterest context stands in for the
 * suite's test @context (see provision-entities.test.ts).
 */
export const LD = "application/ld+json";
export const NULL = "urn:ngsi-ld:null";
export const GPS = "urn:ngsi-ld:Property:gps-speed";
export const SPEEDOMETER = "urn:ngsi-ld:Property:speedometer";

export const entityPath = (id: string) => `/entities/${encodeURIComponent(id)}`;
export const attrsPath = (id: string) => `${entityPath(id)}/attrs`;
export const attrPath = (id: string, attr: string) => `${attrsPath(id)}/${encodeURIComponent(attr)}`;
export const ld = (fragment: Json): Json => ({ ...fragment, "@context": [SDM_CONTEXT] });
export const LD_HEADERS = { "content-type": LD };
export const LINK_HEADERS = { link: linkTo(SDM_CONTEXT) };

export function withoutContext(body: unknown): Json {
  const { "@context": _context, ...rest } = asObject(body);
  return rest;
}

export function expectProblem(response: BrokerResponse, status: number, type: string): void {
  expect(response.status, response.text).toBe(status);
  const problem = asObject(response.body);
  expect(problem.type).toBe(`${ERRORS}${type}`);
  expect(typeof problem.title === "string" && problem.title.length > 0, response.text).toBe(true);
}

export function expectNoContent(response: BrokerResponse): void {
  expect(response.status, response.text).toBe(204);
  expect(response.text).toBe("");
}

/** Drops the broker's createdAt/modifiedAt from every attribute instance (and the entity). */
export function withoutSystemMembers(entity: Json): Json {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== "object" || value === null) return value;
    const { createdAt: _c, modifiedAt: _m, ...rest } = asObject(value);
    return rest;
  };
  return Object.fromEntries(
    Object.entries(entity)
      .filter(([key]) => key !== "createdAt" && key !== "modifiedAt")
      .map(([key, value]) => [key, strip(value)]),
  );
}

export const gpsSpeed = {
  type: "Property",
  value: 54.5,
  source: { type: "Property", value: "GPS" },
  datasetId: GPS,
};
export const meterSpeed = (value: number, datasetId?: string): Json => ({
  type: "Property",
  value,
  source: { type: "Property", value: "Speedometer" },
  ...(datasetId === undefined ? {} : { datasetId }),
});
export const isParked = (person: string, datasetId?: string): Json => ({
  type: "Relationship",
  object: "urn:ngsi-ld:OffStreetParking:Downtown1",
  observedAt: "2017-07-29T12:00:04Z",
  providedBy: { type: "Relationship", object: `urn:ngsi-ld:Person:${person}` },
  ...(datasetId === undefined ? {} : { datasetId }),
});

/** A Vehicle whose speed has two instances, both with a datasetId (no default instance). */
export function vehicleWithTwoDatasets(type = uniqueType("Vehicle")): Json {
  return {
    id: uniqueId(type),
    type,
    brandName: { type: "Property", value: "Mercedes" },
    isParked: isParked("Bob"),
    speed: [meterSpeed(55, SPEEDOMETER), gpsSpeed],
  };
}

/** A Vehicle whose speed has a default instance and a GPS one, and whose isParked has a datasetId. */
export function vehicleWithDefaultInstance(type = uniqueType("Vehicle")): Json {
  return {
    id: uniqueId(type),
    type,
    brandName: { type: "Property", value: "Mercedes" },
    isParked: isParked("Bob", "urn:ngsi-ld:Relationship:parked12345"),
    speed: [meterSpeed(55), gpsSpeed],
  };
}

export const polygon = (lon: number, lat: number): Json => ({
  type: "Polygon",
  coordinates: [
    [
      [lon, lat],
      [lon + 0.1, lat],
      [lon + 0.1, lat + 0.1],
      [lon, lat],
    ],
  ],
});

/** One attribute of each kind, and the same with two instances (for the NGSI-LD Null cases). */
export function buildingOfEveryKind(): Json {
  const type = uniqueType("Building");
  return {
    id: uniqueId(type),
    type,
    name: { type: "Property", value: "Eiffel Tower" },
    locatedAt: { type: "Relationship", object: "urn:ngsi-ld:City:Paris" },
    location: { type: "GeoProperty", value: { type: "Point", coordinates: [2.2945, 48.8584] } },
    street: { type: "LanguageProperty", languageMap: { fr: "Avenue Anatole France" } },
  };
}
export function buildingOfEveryKindTwice(defaultSecond: boolean): Json {
  const type = uniqueType("Building");
  const second = (instance: Json): Json =>
    defaultSecond ? instance : { ...instance, datasetId: "urn:ngsi-ld:Dataset:02" };
  const first = (instance: Json): Json => ({ ...instance, datasetId: "urn:ngsi-ld:Dataset:01" });
  return {
    id: uniqueId(type),
    type,
    name: [
      first({ type: "Property", value: "Eiffel Tower" }),
      second({ type: "Property", value: "The iron lady" }),
    ],
    locatedAt: [
      first({ type: "Relationship", object: "urn:ngsi-ld:City:Paris" }),
      second({ type: "Relationship", object: "urn:ngsi-ld:District:Paris:07" }),
    ],
    location: [
      first({ type: "GeoProperty", value: { type: "Point", coordinates: [2.3514, 48.8575] } }),
      second({ type: "GeoProperty", value: { type: "Point", coordinates: [2.2944, 48.8585] } }),
    ],
    street: [
      first({ type: "LanguageProperty", languageMap: { fr: "Quai Branly" } }),
      second({ type: "LanguageProperty", languageMap: { fr: "Avenue Gustave Eiffel" } }),
    ],
  };
}
export const NULLED: Record<string, Json> = {
  name: { type: "Property", value: NULL },
  locatedAt: { type: "Relationship", object: NULL },
  location: { type: "GeoProperty", value: NULL },
  street: { type: "LanguageProperty", languageMap: { "@none": NULL } },
};
export const KINDS = [
  ["01", "a Property", "name"],
  ["02", "a Relationship", "locatedAt"],
  ["03", "a GeoProperty", "location"],
  ["04", "a LanguageProperty", "street"],
] as const;
export function secondOf(entity: Json, name: string): unknown {
  const instances = entity[name];
  if (!Array.isArray(instances)) throw new Error(`${name} should have two instances`);
  return instances[1];
}
export function firstOf(entity: Json, name: string): unknown {
  const instances = entity[name];
  if (!Array.isArray(instances)) throw new Error(`${name} should have two instances`);
  return instances[0];
}

/** Creating and reading entities through one file's broker, with the SDM context. */
export function entityClient(broker: Broker) {
  async function created(entity: Json): Promise<string> {
    const response = await broker.request("POST", "/entities", { body: ld(entity), headers: LD_HEADERS });
    expect(response.status, response.text).toBe(201);
    return String(entity.id);
  }

  async function retrieve(id: string, query: Record<string, string> = {}): Promise<Json> {
    const response = await broker.request("GET", entityPath(id), { headers: LINK_HEADERS, query });
    expect(response.status, response.text).toBe(200);
    return withoutContext(response.body);
  }
  return { created, retrieve };
}
