import { describe, expect, it } from "vitest";
import {
  bboxAround,
  contains,
  coveringCells,
  distanceMeters,
  equals,
  geohash,
  haversineMeters,
  intersects,
  overlaps,
  parseGeometry,
  within,
} from "../src/domain/geo";
import type { Geometry } from "../src/domain/model";

const point = (lon: number, lat: number): Geometry => ({ type: "Point", coordinates: [lon, lat] });
const square = (x0: number, y0: number, x1: number, y1: number): Geometry => ({
  type: "Polygon",
  coordinates: [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ],
});

describe("geometry", () => {
  it.each([
    [{ type: "Point", coordinates: [-3.7, 40.4] }, true, ""],
    [{ type: "Point", coordinates: [200, 40] }, false, "longitude 200"],
    [{ type: "Point", coordinates: [0, 91] }, false, "latitude 91"],
    [{ type: "point", coordinates: [0, 0] }, false, "case matters"],
    [{ type: "LineString", coordinates: [[0, 0]] }, false, "at least 2"],
    [
      {
        type: "Polygon",
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      false,
      "closed",
    ],
    [{ type: "MultiPolygon", coordinates: [] }, false, "at least one"],
    [{ type: "Point", coordinates: ["1", 2] }, false, "numbers"],
    ["Point", false, "GeoJSON object"],
  ])("checks %j", (value, ok, reason) => {
    // Act
    const result = parseGeometry(value);
    // Assess
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("encodes geohashes like the reference implementation", () => {
    // Act
    const hashes = [geohash(-5.6, 42.6, 5), geohash(10.40744, 57.64911, 11)];
    // Assess
    expect(hashes).toEqual(["ezs42", "u4pruydqqvj"]);
  });

  it("covers a box with cells, and declines when it would need too many", () => {
    // Prepare
    const around = bboxAround([-3.7038, 40.4168], 1_000);
    // Act
    const fine = coveringCells(around, 5, 32);
    const tooMany = coveringCells(bboxAround([-3.7038, 40.4168], 200_000), 5, 32);
    // Assess
    expect(fine?.length).toBeGreaterThanOrEqual(1);
    expect(fine?.length).toBeLessThanOrEqual(4);
    expect(fine).toContain(geohash(-3.7038, 40.4168, 5));
    expect(tooMany).toBeUndefined();
  });

  it("measures distances on the sphere and to lines and areas", () => {
    // Prepare
    const madrid: [number, number] = [-3.7038, 40.4168];
    const barcelona: [number, number] = [2.1734, 41.3851];
    const line: Geometry = {
      type: "LineString",
      coordinates: [
        [0, 0],
        [0, 1],
      ],
    };
    // Act
    const city = haversineMeters(madrid, barcelona);
    const toLine = distanceMeters(line, [0.01, 0.5]);
    const inside = distanceMeters(square(0, 0, 1, 1), [0.5, 0.5]);
    // Assess
    expect(city).toBeGreaterThan(500_000);
    expect(city).toBeLessThan(510_000);
    expect(toLine).toBeGreaterThan(1_100);
    expect(toLine).toBeLessThan(1_125);
    expect(inside).toBe(0);
  });

  it("evaluates the geo-query relations", () => {
    // Prepare
    const area = square(0, 0, 10, 10);
    const hole: Geometry = {
      type: "Polygon",
      coordinates: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [0, 10],
          [0, 0],
        ],
        [
          [4, 4],
          [6, 4],
          [6, 6],
          [4, 6],
          [4, 4],
        ],
      ],
    };
    const crossing: Geometry = {
      type: "LineString",
      coordinates: [
        [-5, 5],
        [5, 5],
      ],
    };
    // Act / Assess
    expect(within(point(5, 5), area)).toBe(true);
    expect(within(point(5, 5), hole)).toBe(false);
    expect(within(point(11, 5), area)).toBe(false);
    expect(within(square(1, 1, 2, 2), area)).toBe(true);
    expect(within(crossing, area)).toBe(false);
    expect(contains(area, point(1, 1))).toBe(true);
    expect(intersects(crossing, area)).toBe(true);
    expect(intersects(point(20, 20), area)).toBe(false);
    expect(intersects(square(9, 9, 12, 12), area)).toBe(true);
    expect(overlaps(square(9, 9, 12, 12), area)).toBe(true);
    expect(overlaps(square(1, 1, 2, 2), area)).toBe(false);
    expect(equals(point(1, 2), point(1, 2))).toBe(true);
    expect(equals(point(1, 2), point(2, 1))).toBe(false);
  });

  it("keeps a concave polygon's notch outside", () => {
    // Prepare: a U shape open at the top between x=4 and x=6
    const u: Geometry = {
      type: "Polygon",
      coordinates: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [6, 10],
          [6, 2],
          [4, 2],
          [4, 10],
          [0, 10],
          [0, 0],
        ],
      ],
    };
    const bridge: Geometry = {
      type: "LineString",
      coordinates: [
        [2, 8],
        [8, 8],
      ],
    };
    // Act / Assess
    expect(within(point(5, 8), u)).toBe(false);
    expect(within(bridge, u)).toBe(false);
    expect(within(point(2, 8), u)).toBe(true);
  });
});
