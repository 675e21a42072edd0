import type { Geometry, GeometryType, Position } from "./model";

/**
 * Geometry for geo-queries (NGSI-LD clause 4.10): GeoJSON validation, distances on the sphere, and
 * the planar predicates of the geo-query language evaluated on longitude/latitude. Planar evaluation
 * is exact for points and good at destination scale; edges are straight in degrees, not great circles.
 */
export const GEOMETRY_TYPES: readonly GeometryType[] = [
  "Point",
  "MultiPoint",
  "LineString",
  "MultiLineString",
  "Polygon",
  "MultiPolygon",
];

const EARTH_RADIUS_M = 6_371_008.8;
const EPSILON = 1e-12;

export type GeometryCheck = { ok: true; geometry: Geometry } | { ok: false; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function position(value: unknown): Position | string {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3)
    return "a position must be [longitude, latitude]";
  const [lon, lat] = value;
  if (typeof lon !== "number" || typeof lat !== "number" || !Number.isFinite(lon) || !Number.isFinite(lat)) {
    return "coordinates must be numbers";
  }
  if (lon < -180 || lon > 180) return `longitude ${lon} is outside [-180, 180]`;
  if (lat < -90 || lat > 90) return `latitude ${lat} is outside [-90, 90]`;
  return [lon, lat];
}

function positions(value: unknown, minimum: number, what: string): Position[] | string {
  if (!Array.isArray(value) || value.length < minimum) return `${what} needs at least ${minimum} positions`;
  const out: Position[] = [];
  for (const item of value) {
    const p = position(item);
    if (typeof p === "string") return p;
    out.push(p);
  }
  return out;
}

function ring(value: unknown): Position[] | string {
  const points = positions(value, 4, "a polygon ring");
  if (typeof points === "string") return points;
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || first[0] !== last[0] || first[1] !== last[1]) return "a polygon ring must be closed";
  return points;
}

function many<T>(value: unknown, item: (v: unknown) => T | string, what: string): T[] | string {
  if (!Array.isArray(value) || value.length === 0) return `${what} needs at least one member`;
  const out: T[] = [];
  for (const v of value) {
    const parsed = item(v);
    if (typeof parsed === "string") return parsed;
    out.push(parsed);
  }
  return out;
}

const lineString = (v: unknown) => positions(v, 2, "a LineString");
const polygon = (v: unknown) => many(v, ring, "a Polygon");

/** Checks a GeoJSON geometry (RFC 7946) and returns it with positions reduced to [lon, lat]. */
export function parseGeometry(value: unknown): GeometryCheck {
  if (!isRecord(value)) return { ok: false, reason: "a geometry must be a GeoJSON object" };
  const { type, coordinates } = value;
  const fail = (reason: string): GeometryCheck => ({ ok: false, reason: `${String(type)}: ${reason}` });
  switch (type) {
    case "Point": {
      const p = position(coordinates);
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    case "MultiPoint": {
      const p = many(coordinates, position, "a MultiPoint");
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    case "LineString": {
      const p = lineString(coordinates);
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    case "MultiLineString": {
      const p = many(coordinates, lineString, "a MultiLineString");
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    case "Polygon": {
      const p = polygon(coordinates);
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    case "MultiPolygon": {
      const p = many(coordinates, polygon, "a MultiPolygon");
      return typeof p === "string" ? fail(p) : { ok: true, geometry: { type, coordinates: p } };
    }
    default:
      return {
        ok: false,
        reason: `geometry type ${JSON.stringify(type)} is not one of ${GEOMETRY_TYPES.join(", ")} (case matters)`,
      };
  }
}

export const isGeometryLike = (value: unknown): boolean =>
  isRecord(value) && typeof value.type === "string" && "coordinates" in value;

/** The parts every predicate works on: isolated points, line segments and polygons (outer ring + holes). */
interface Parts {
  readonly points: Position[];
  readonly segments: Array<[Position, Position]>;
  readonly polygons: Position[][][];
}

function segmentsOf(line: Position[]): Array<[Position, Position]> {
  const out: Array<[Position, Position]> = [];
  for (let i = 0; i + 1 < line.length; i++) {
    const a = line[i];
    const b = line[i + 1];
    if (a && b) out.push([a, b]);
  }
  return out;
}

function partsOf(geometry: Geometry): Parts {
  switch (geometry.type) {
    case "Point":
      return { points: [geometry.coordinates], segments: [], polygons: [] };
    case "MultiPoint":
      return { points: geometry.coordinates, segments: [], polygons: [] };
    case "LineString":
      return { points: [], segments: segmentsOf(geometry.coordinates), polygons: [] };
    case "MultiLineString":
      return { points: [], segments: geometry.coordinates.flatMap(segmentsOf), polygons: [] };
    case "Polygon":
      return { points: [], segments: [], polygons: [geometry.coordinates] };
    case "MultiPolygon":
      return { points: [], segments: [], polygons: geometry.coordinates };
  }
}

export function vertices(geometry: Geometry): Position[] {
  switch (geometry.type) {
    case "Point":
      return [geometry.coordinates];
    case "MultiPoint":
    case "LineString":
      return geometry.coordinates;
    case "MultiLineString":
    case "Polygon":
      return geometry.coordinates.flat();
    case "MultiPolygon":
      return geometry.coordinates.flat(2);
  }
}

export interface BBox {
  readonly minLon: number;
  readonly minLat: number;
  readonly maxLon: number;
  readonly maxLat: number;
}

export function bboxOf(geometry: Geometry): BBox {
  let minLon = 180;
  let minLat = 90;
  let maxLon = -180;
  let maxLat = -90;
  for (const [lon, lat] of vertices(geometry)) {
    minLon = Math.min(minLon, lon);
    minLat = Math.min(minLat, lat);
    maxLon = Math.max(maxLon, lon);
    maxLat = Math.max(maxLat, lat);
  }
  return { minLon, minLat, maxLon, maxLat };
}

/** The box around a point that holds every position within `meters` of it. */
export function bboxAround([lon, lat]: Position, meters: number): BBox {
  const dLat = (meters / EARTH_RADIUS_M) * (180 / Math.PI);
  const cos = Math.cos((lat * Math.PI) / 180);
  const dLon = cos < 1e-9 ? 180 : Math.min(180, dLat / cos);
  return {
    minLon: Math.max(-180, lon - dLon),
    minLat: Math.max(-90, lat - dLat),
    maxLon: Math.min(180, lon + dLon),
    maxLat: Math.min(90, lat + dLat),
  };
}

export function haversineMeters([lon1, lat1]: Position, [lon2, lat2]: Position): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

// ---- planar primitives --------------------------------------------------------------------------

const cross = (o: Position, a: Position, b: Position) =>
  (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

function onSegment(p: Position, a: Position, b: Position): boolean {
  return (
    Math.abs(cross(a, b, p)) <= EPSILON &&
    p[0] >= Math.min(a[0], b[0]) - EPSILON &&
    p[0] <= Math.max(a[0], b[0]) + EPSILON &&
    p[1] >= Math.min(a[1], b[1]) - EPSILON &&
    p[1] <= Math.max(a[1], b[1]) + EPSILON
  );
}

function segmentsIntersect(a: Position, b: Position, c: Position, d: Position): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (
    ((d1 > EPSILON && d2 < -EPSILON) || (d1 < -EPSILON && d2 > EPSILON)) &&
    ((d3 > EPSILON && d4 < -EPSILON) || (d3 < -EPSILON && d4 > EPSILON))
  ) {
    return true;
  }
  return onSegment(a, c, d) || onSegment(b, c, d) || onSegment(c, a, b) || onSegment(d, a, b);
}

/** Whether two segments cross at a point interior to both (touching does not count). */
function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  return (
    ((d1 > EPSILON && d2 < -EPSILON) || (d1 < -EPSILON && d2 > EPSILON)) &&
    ((d3 > EPSILON && d4 < -EPSILON) || (d3 < -EPSILON && d4 > EPSILON))
  );
}

type Location = "inside" | "boundary" | "outside";

function inRing(p: Position, ringPoints: Position[]): Location {
  let inside = false;
  for (let i = 0, j = ringPoints.length - 1; i < ringPoints.length; j = i++) {
    const a = ringPoints[i];
    const b = ringPoints[j];
    if (!a || !b) continue;
    if (onSegment(p, a, b)) return "boundary";
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0])
      inside = !inside;
  }
  return inside ? "inside" : "outside";
}

function inPolygon(p: Position, rings: Position[][]): Location {
  const [outer, ...holes] = rings;
  if (!outer) return "outside";
  const where = inRing(p, outer);
  if (where !== "inside") return where;
  for (const hole of holes) {
    const inHole = inRing(p, hole);
    if (inHole === "inside") return "outside";
    if (inHole === "boundary") return "boundary";
  }
  return "inside";
}

function edgesOf(rings: Position[][]): Array<[Position, Position]> {
  return rings.flatMap(segmentsOf);
}

function locate(p: Position, parts: Parts): Location {
  let result: Location = "outside";
  for (const q of parts.points)
    if (Math.abs(q[0] - p[0]) <= EPSILON && Math.abs(q[1] - p[1]) <= EPSILON) return "inside";
  for (const [a, b] of parts.segments) if (onSegment(p, a, b)) return "inside";
  for (const rings of parts.polygons) {
    const where = inPolygon(p, rings);
    if (where === "inside") return "inside";
    if (where === "boundary") result = "boundary";
  }
  return result;
}

// ---- predicates ---------------------------------------------------------------------------------

export function intersects(a: Geometry, b: Geometry): boolean {
  const pa = partsOf(a);
  const pb = partsOf(b);
  if (vertices(a).some((p) => locate(p, pb) !== "outside")) return true;
  if (vertices(b).some((p) => locate(p, pa) !== "outside")) return true;
  const edgesA = [...pa.segments, ...pa.polygons.flatMap(edgesOf)];
  const edgesB = [...pb.segments, ...pb.polygons.flatMap(edgesOf)];
  return edgesA.some(([p, q]) => edgesB.some(([r, s]) => segmentsIntersect(p, q, r, s)));
}

/** `a` lies within `b`: no part of `a` is outside `b` (points on b's boundary are allowed). */
export function within(a: Geometry, b: Geometry): boolean {
  const pb = partsOf(b);
  if (pb.polygons.length === 0) return equals(a, b) || vertices(a).every((p) => locate(p, pb) === "inside");
  if (!vertices(a).every((p) => locate(p, pb) !== "outside")) return false;
  const pa = partsOf(a);
  const edgesA = [...pa.segments, ...pa.polygons.flatMap(edgesOf)];
  const edgesB = pb.polygons.flatMap(edgesOf);
  if (edgesA.some(([p, q]) => edgesB.some(([r, s]) => segmentsCross(p, q, r, s)))) return false;
  // An edge between two boundary vertices can still run outside a concave polygon: check midpoints.
  return edgesA.every(([p, q]) => locate([(p[0] + q[0]) / 2, (p[1] + q[1]) / 2], pb) !== "outside");
}

export const contains = (a: Geometry, b: Geometry) => within(b, a);

export function equals(a: Geometry, b: Geometry): boolean {
  if (a.type !== b.type) return false;
  const va = vertices(a);
  const vb = vertices(b);
  return (
    va.length === vb.length &&
    va.every((p, i) => {
      const q = vb[i];
      return q !== undefined && Math.abs(p[0] - q[0]) <= 1e-9 && Math.abs(p[1] - q[1]) <= 1e-9;
    })
  );
}

const dimension = (g: Geometry) =>
  g.type === "Point" || g.type === "MultiPoint"
    ? 0
    : g.type === "LineString" || g.type === "MultiLineString"
      ? 1
      : 2;

/** Same dimension, they intersect, and neither contains the other. */
export function overlaps(a: Geometry, b: Geometry): boolean {
  return dimension(a) === dimension(b) && intersects(a, b) && !within(a, b) && !within(b, a);
}

/** Shortest distance in metres from a point to a geometry (0 inside a polygon). */
export function distanceMeters(geometry: Geometry, point: Position): number {
  if (geometry.type === "Point") return haversineMeters(geometry.coordinates, point);
  const parts = partsOf(geometry);
  if (parts.polygons.some((rings) => inPolygon(point, rings) !== "outside")) return 0;
  // Local equirectangular projection around the query point: metres on both axes.
  const rad = Math.PI / 180;
  const kx = Math.cos(point[1] * rad) * rad * EARTH_RADIUS_M;
  const ky = rad * EARTH_RADIUS_M;
  const project = (p: Position): Position => [(p[0] - point[0]) * kx, (p[1] - point[1]) * ky];
  let best = Number.POSITIVE_INFINITY;
  for (const p of parts.points) best = Math.min(best, haversineMeters(p, point));
  const edges = [...parts.segments, ...parts.polygons.flatMap(edgesOf)];
  for (const [a, b] of edges) {
    const [ax, ay] = project(a);
    const [bx, by] = project(b);
    const dx = bx - ax;
    const dy = by - ay;
    const length = dx * dx + dy * dy;
    const t = length === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length));
    best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
  }
  return best;
}

// ---- geohash ------------------------------------------------------------------------------------

const BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz";

export function geohash(lon: number, lat: number, precision: number): string {
  let minLat = -90;
  let maxLat = 90;
  let minLon = -180;
  let maxLon = 180;
  let hash = "";
  let bits = 0;
  let value = 0;
  let even = true;
  while (hash.length < precision) {
    if (even) {
      const mid = (minLon + maxLon) / 2;
      if (lon >= mid) {
        value = value * 2 + 1;
        minLon = mid;
      } else {
        value *= 2;
        maxLon = mid;
      }
    } else {
      const mid = (minLat + maxLat) / 2;
      if (lat >= mid) {
        value = value * 2 + 1;
        minLat = mid;
      } else {
        value *= 2;
        maxLat = mid;
      }
    }
    even = !even;
    bits++;
    if (bits === 5) {
      hash += BASE32[value] ?? "0";
      bits = 0;
      value = 0;
    }
  }
  return hash;
}

/** Width and height in degrees of a geohash cell of the given length. */
export function cellSize(precision: number): { lon: number; lat: number } {
  const totalBits = precision * 5;
  const lonBits = Math.ceil(totalBits / 2);
  const latBits = Math.floor(totalBits / 2);
  return { lon: 360 / 2 ** lonBits, lat: 180 / 2 ** latBits };
}

/**
 * The geohash cells of one length that cover a box, or undefined when more than `limit` would be
 * needed (the caller then uses a coarser length).
 */
export function coveringCells(box: BBox, precision: number, limit: number): string[] | undefined {
  const size = cellSize(precision);
  const lonStart = Math.floor((box.minLon + 180) / size.lon);
  const lonEnd = Math.min(Math.floor((box.maxLon + 180) / size.lon), Math.round(360 / size.lon) - 1);
  const latStart = Math.floor((box.minLat + 90) / size.lat);
  const latEnd = Math.min(Math.floor((box.maxLat + 90) / size.lat), Math.round(180 / size.lat) - 1);
  const count = (lonEnd - lonStart + 1) * (latEnd - latStart + 1);
  if (count > limit) return undefined;
  const cells = new Set<string>();
  for (let x = lonStart; x <= lonEnd; x++) {
    for (let y = latStart; y <= latEnd; y++) {
      cells.add(geohash(-180 + (x + 0.5) * size.lon, -90 + (y + 0.5) * size.lat, precision));
    }
  }
  return [...cells].sort();
}
