import { beforeAll, describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { ActiveContext } from "../src/domain/jsonld";
import {
  compactMember,
  parseProjection,
  projectionConflict,
  projectionMembers,
} from "../src/domain/projection";
import { keepsMember, projectsAnyMember } from "../src/domain/render";

const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const SDM = "https://smart-data-models.github.io/dataModel.PointOfInterest/context.jsonld";
const ACCESS_TYPE = "https://smartdatamodels.org/dataModel.PointOfInterest/accessType";
let core: ActiveContext;
let sdm: ActiveContext;

beforeAll(async () => {
  const cache = contextCache(bundledContextLoader);
  core = await cache.resolve(`p${crypto.randomUUID().slice(0, 8)}`, undefined);
  sdm = await cache.resolve(`p${crypto.randomUUID().slice(0, 8)}`, SDM);
});

const failure = (work: () => unknown) => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error;
  }
};

describe("projection members (clause 4.21)", () => {
  it("keep id, type and scope as named and expand attribute names, split at commas and pipes", () => {
    // Act
    const parsed = projectionMembers(sdm, "id,accessType|scope, speed");
    // Assess
    expect(parsed).toEqual({ ok: true, members: ["id", ACCESS_TYPE, "scope", `${VOCAB}speed`] });
  });

  it.each([
    ["an empty member", "id,,name", /must not be empty/],
    ["a linked entity projection", "locatedAt{name}", /need join/],
    ["a name with a forbidden character", "na(me", /must not contain/],
  ])("refuse %s with its reason", (_what, text, reason) => {
    // Act
    const parsed = projectionMembers(core, text);
    // Assess
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it("compact stored members with a reader's @context, leaving id, type and scope alone", () => {
    // Act
    const members = ["id", "type", "scope", ACCESS_TYPE].map((m) => compactMember(sdm, m));
    const unknown = compactMember(core, ACCESS_TYPE);
    // Assess
    expect(members).toEqual(["id", "type", "scope", "accessType"]);
    expect(unknown).toBe(ACCESS_TYPE);
  });
});

describe("projection conflicts", () => {
  it.each([
    [{ pick: ["id"], omit: ["id"] }, "pick", /pick and omit/],
    [{ pick: "a", attrs: "b" }, "pick", /pick cannot be used together with attrs/],
    [{ omit: "a", attrs: "b" }, "omit", /omit cannot be used together with attrs/],
  ])("name the member at fault in %j", (given, member, reason) => {
    // Act
    const conflict = projectionConflict(given);
    // Assess
    expect(conflict).toEqual({ member, reason: expect.stringMatching(reason) });
  });

  it("speak of the synonym they are given and accept a lone pick, omit or attrs", () => {
    // Act
    const named = projectionConflict({ attrs: ["a"], omit: ["b"] }, "attributes");
    const alone = [{ pick: "a" }, { omit: "a" }, { attrs: "a" }, {}].map((g) => projectionConflict(g));
    // Assess
    expect(named?.reason).toBe("omit cannot be used together with attributes");
    expect(alone).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe("parsing a request's pick and omit", () => {
  it("answers the sets of members a projection keeps or drops", () => {
    // Act
    const picked = parseProjection(sdm, { pick: "id,accessType" });
    const omitted = parseProjection(sdm, { omit: "type" });
    const none = parseProjection(sdm, { attrs: "accessType" });
    // Assess
    expect(picked).toEqual({ pick: new Set(["id", ACCESS_TYPE]) });
    expect(omitted).toEqual({ omit: new Set(["type"]) });
    expect(none).toEqual({});
  });

  it.each([
    ["query", { pick: "name", omit: "name" }, "query.pick"],
    ["query", { pick: "name", attrs: "speed" }, "query.pick"],
    ["query", { omit: "name", attrs: "speed" }, "query.omit"],
    ["body", { omit: "id,,name" }, "body.omit"],
    ["body", { pick: "" }, "body.pick"],
  ])("refuses with BadRequestData naming the %s parameter (%j)", (where, given, field) => {
    // Act
    const error = failure(() => parseProjection(core, given, where));
    // Assess
    expect(error).toMatchObject({
      status: 400,
      type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
      errors: [{ field, reason: expect.any(String) }],
    });
  });
});

describe("what a projection keeps", () => {
  it("keeps picked members, drops omitted ones, and tells when nothing of an entity is left", () => {
    // Prepare
    const pick = { pick: new Set(["id", `${VOCAB}speed`]) };
    const omit = { omit: new Set(["id", "type", `${VOCAB}speed`]) };
    // Act
    const kept = ["id", "type", `${VOCAB}speed`, `${VOCAB}fuel`].map((m) => [
      keepsMember(pick, m),
      keepsMember(omit, m),
    ]);
    // Assess
    expect(kept).toEqual([
      [true, false],
      [false, false],
      [true, false],
      [false, true],
    ]);
    expect(projectsAnyMember([`${VOCAB}fuel`], pick, false)).toBe(true);
    expect(projectsAnyMember([`${VOCAB}speed`], omit, false)).toBe(false);
    expect(projectsAnyMember([], { pick: new Set([`${VOCAB}fuel`]) }, false)).toBe(false);
  });
});
