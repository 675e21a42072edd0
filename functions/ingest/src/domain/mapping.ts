import {
  type AttributeMapping,
  AttributeName,
  type ContextUpdate,
  contextUpdateId,
  type Device,
  EntityId,
  GeoPoint,
  type GeoPoint as GeoPointValue,
  type ObservedAttribute,
  type StaticContextAttribute,
} from "@sdp/contracts";
import { z } from "zod";
import { type MeasureGroup, PayloadError, type RawValue } from "./payloads";

const JsonValue = z.json();

/**
 * The IoT Agent's job: a device's measure group, through its attribute mapping, becomes NGSI-LD
 * attributes of the entity it feeds, stamped with when they were observed.
 */

/** The attribute the platform reads a device's battery from (Smart Data Models `Device.batteryLevel`). */
export const BATTERY_ATTRIBUTE = "batteryLevel";

/** A device clock this far ahead of the platform's is wrong; its measurement is refused. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;

export interface Observation {
  readonly observedAt: string;
  readonly observedAtSource: "device" | "platform";
  readonly attributes: Record<string, ObservedAttribute>;
  readonly battery?: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function fail(objectId: string, message: string): never {
  throw new PayloadError(`${objectId}: ${message}`);
}

/** A measured value as the mapping asks for it; without `valueType`, text that looks like a number is one. */
function measuredValue(objectId: string, raw: RawValue, valueType: AttributeMapping["valueType"]): unknown {
  const text = raw.kind === "text" ? raw.text : undefined;
  const value = raw.kind === "json" ? raw.value : undefined;
  switch (valueType) {
    case "number":
    case "integer": {
      const number =
        text !== undefined
          ? NUMBER.test(text)
            ? Number(text)
            : Number.NaN
          : typeof value === "number"
            ? value
            : Number.NaN;
      if (!Number.isFinite(number)) fail(objectId, `expected a number`);
      if (valueType === "integer" && !Number.isInteger(number)) fail(objectId, "expected an integer");
      return number;
    }
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      return fail(objectId, "expected true or false");
    }
    case "string":
      if (text !== undefined) return text;
      if (typeof value === "string") return value;
      return fail(objectId, "expected a string");
    case "json":
      if (text === undefined) return value;
      try {
        return JSON.parse(text);
      } catch {
        return fail(objectId, "expected JSON");
      }
    case undefined:
      if (text === undefined) return value;
      if (NUMBER.test(text)) return Number(text);
      if (text === "true" || text === "false") return text === "true";
      return text;
  }
}

/** A location: GeoJSON Point, or IoT Agent `geo:point` text `"<latitude>,<longitude>"`. */
function pointOf(objectId: string, raw: RawValue): GeoPointValue {
  const candidate = raw.kind === "json" ? raw.value : raw.text;
  if (typeof candidate === "string") {
    const [lat, lon, ...rest] = candidate.split(",").map((part) => part.trim());
    const latitude = Number(lat);
    const longitude = Number(lon);
    const point = GeoPoint.safeParse({ type: "Point", coordinates: [longitude, latitude] });
    if (rest.length === 0 && lat && lon && NUMBER.test(lat) && NUMBER.test(lon) && point.success)
      return point.data;
    return fail(objectId, 'expected a location as "<latitude>,<longitude>"');
  }
  const point = GeoPoint.safeParse(candidate);
  if (!point.success) fail(objectId, "expected a GeoJSON Point with [longitude, latitude]");
  return point.data;
}

function attributeFor(
  objectId: string,
  raw: RawValue,
  mapping: AttributeMapping | undefined,
  observedAt: string,
): ObservedAttribute {
  const type = mapping?.type ?? "Property";
  if (type === "GeoProperty") return { type, value: pointOf(objectId, raw), observedAt };
  if (type === "Relationship") {
    const object = EntityId.safeParse(raw.kind === "json" ? raw.value : raw.text);
    if (!object.success) fail(objectId, "expected an entity id (urn:ngsi-ld:...)");
    return { type, object: object.data, observedAt };
  }
  const value = JsonValue.safeParse(measuredValue(objectId, raw, mapping?.valueType));
  if (!value.success || value.data === null) fail(objectId, "has no value");
  return {
    type: "Property",
    value: value.data,
    observedAt,
    ...(mapping?.unitCode ? { unitCode: mapping.unitCode } : {}),
  };
}

/**
 * Maps one measure group of a device. Object ids without a mapping pass through under their own name
 * (as an IoT Agent does) unless the device is registered with `explicitAttributes`.
 * @throws PayloadError when a value does not fit its mapping or nothing measurable remains.
 */
export function mapMeasureGroup(device: Device, group: MeasureGroup, receivedAt: Date): Observation {
  const observedAtSource = group.observedAt === undefined ? "platform" : "device";
  const observedAt = group.observedAt ?? receivedAt.toISOString();
  if (Date.parse(observedAt) > receivedAt.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new PayloadError(`timestamp ${observedAt} is in the future`);
  }
  const mappings = new Map(device.attributes.map((mapping) => [mapping.objectId, mapping]));
  const attributes: Record<string, ObservedAttribute> = {};
  for (const [objectId, raw] of group.values) {
    const mapping = mappings.get(objectId);
    if (!mapping && device.explicitAttributes) continue;
    const name = mapping?.name ?? objectId;
    if (!mapping && !AttributeName.safeParse(name).success) {
      fail(objectId, "is not mapped and is not a valid attribute name");
    }
    attributes[name] = attributeFor(objectId, raw, mapping, observedAt);
  }
  if (Object.keys(attributes).length === 0)
    throw new PayloadError("no mapped attribute in the measure group");
  const battery = attributes[BATTERY_ATTRIBUTE];
  return {
    observedAt,
    observedAtSource,
    attributes,
    ...(battery?.type === "Property" && typeof battery.value === "number" ? { battery: battery.value } : {}),
  };
}

/** The registry data sent with every update: static attributes and the device's location. */
export function staticAttributesOf(device: Device): Record<string, StaticContextAttribute> {
  const result: Record<string, StaticContextAttribute> = {};
  if (device.location) result.location = { type: "GeoProperty", value: device.location };
  for (const attribute of device.staticAttributes) {
    if (attribute.type === "GeoProperty") {
      const point = GeoPoint.safeParse(attribute.value);
      if (point.success) result[attribute.name] = { type: "GeoProperty", value: point.data };
    } else if (attribute.type === "Relationship") {
      const object = EntityId.safeParse(attribute.value);
      if (object.success) result[attribute.name] = { type: "Relationship", object: object.data };
    } else {
      result[attribute.name] = {
        type: "Property",
        value: attribute.value,
        ...(attribute.unitCode ? { unitCode: attribute.unitCode } : {}),
      };
    }
  }
  return result;
}

export interface SourceRecord {
  readonly tenant: string;
  readonly thing: string;
  readonly sequenceNumber: string;
  readonly receivedAt: Date;
}

/** The context update of one measure group, with its deterministic id (see `contextUpdateId`). */
export function toContextUpdate(
  device: Device,
  group: MeasureGroup,
  index: number,
  observation: Observation,
  record: SourceRecord,
): ContextUpdate {
  const updateId =
    group.observedAt !== undefined
      ? contextUpdateId({
          kind: "device-timestamp",
          tenant: record.tenant,
          thing: record.thing,
          index,
          observedAt: group.observedAt,
          content: group.values,
        })
      : contextUpdateId({
          kind: "stream-record",
          tenant: record.tenant,
          thing: record.thing,
          index,
          sequenceNumber: record.sequenceNumber,
        });
  const staticAttributes = staticAttributesOf(device);
  return {
    version: 1,
    updateId,
    tenant: record.tenant,
    entityId: device.entityId,
    entityType: device.entityType,
    observedAt: observation.observedAt,
    attributes: observation.attributes,
    ...(Object.keys(staticAttributes).length > 0 ? { staticAttributes } : {}),
    source: {
      kind: "device",
      deviceId: device.deviceId,
      thing: record.thing,
      protocol: device.protocol,
      receivedAt: record.receivedAt.toISOString(),
      observedAtSource: observation.observedAtSource,
    },
  };
}
