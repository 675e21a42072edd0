import { describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import { checkScope, matchesScopes, parseScopeQuery, parseScopes } from "../src/domain/scope";
import { parseTemporalEntity } from "../src/temporal/domain/parse";

const PARQUE_NORTE = "/Madrid/Gardens/ParqueNorte";
const UNIT_C = "/CompanyA/OrganizationB/UnitC";

describe("entity scopes", () => {
  it.each([PARQUE_NORTE, "/Madrid", "/València/Platja_3", "/Zone1/Sector2"])("accepts %j", (scope) => {
    // Act
    const problem = checkScope(scope);
    // Assess
    expect(problem).toBeUndefined();
  });

  it.each([
    ["Madrid/Gardens", "must start with"],
    ["/", "empty level"],
    ["/Madrid//Gardens", "empty level"],
    ["/Madrid/", "empty level"],
    ["/Madrid/Parque Norte", "letters, digits and _"],
    ["/Madrid/#", "letters, digits and _"],
    ["/Madrid/+", "letters, digits and _"],
    [`/${"a".repeat(600)}`, "longer than"],
  ])("refuses %j", (scope, reason) => {
    // Act
    const problem = checkScope(scope);
    // Assess
    expect(problem).toContain(reason);
  });

  it("reads one scope or an array of them, without repeats, in the order given", () => {
    // Act
    const one = parseScopes(PARQUE_NORTE);
    const many = parseScopes([UNIT_C, PARQUE_NORTE, UNIT_C]);
    // Assess
    expect(one).toEqual({ ok: true, scopes: [PARQUE_NORTE] });
    expect(many).toEqual({ ok: true, scopes: [UNIT_C, PARQUE_NORTE] });
  });

  it.each([[[]], [42], [{ type: "Property", value: PARQUE_NORTE }], [[PARQUE_NORTE, 7]], [["/ok", "bad"]]])(
    "refuses the scope member %j",
    (value) => {
      // Act
      const parsed = parseScopes(value);
      // Assess
      expect(parsed.ok).toBe(false);
    },
  );
});

describe("the scope query language", () => {
  const oneScope = [PARQUE_NORTE];
  const twoScopes = [PARQUE_NORTE, UNIT_C];
  it.each([
    // The ETSI test suite's cases (019_01_06, 019_34) over its two entities.
    [PARQUE_NORTE, oneScope, true],
    ["/Madrid/+/ParqueNorte", oneScope, true],
    ["/CompanyA/#", oneScope, false],
    ["/CompanyA/#", twoScopes, true],
    ["/#", oneScope, true],
    ["/#", [], false],
    [`${PARQUE_NORTE};${UNIT_C}`, oneScope, false],
    [`${PARQUE_NORTE};${UNIT_C}`, twoScopes, true],
    [`${PARQUE_NORTE},${UNIT_C}`, oneScope, true],
    [`(${PARQUE_NORTE};/Nowhere/AtAll)`, twoScopes, false],
    [`(${PARQUE_NORTE};${UNIT_C})|${PARQUE_NORTE}`, oneScope, true],
    [`${UNIT_C}|/Nowhere/AtAll`, oneScope, false],
    // Exact, one level, and the scope with everything below it.
    ["/Madrid/Gardens", oneScope, false],
    ["/Madrid/+", oneScope, false],
    ["/Madrid/+", ["/Madrid/Gardens"], true],
    ["/Madrid/+/+", oneScope, true],
    ["/Madrid/Gardens/#", oneScope, true],
    ["/Madrid/Gardens/#", ["/Madrid/Gardens"], true],
    ["/Madrid/Gardens/#", ["/Madrid/GardensNorth"], false],
    ["/Madrid/Gardens/#", ["/Madrid"], false],
    ["/+/Gardens/#", [`${PARQUE_NORTE}/Parterre1`], true],
    ["/Madrid/Gardens/ParqueNorte", [`${PARQUE_NORTE}/Parterre1`], false],
    // AND binds tighter than OR.
    [`/Sevilla;/Cadiz,${PARQUE_NORTE}`, oneScope, true],
    [`/Sevilla;(/Cadiz,${PARQUE_NORTE})`, oneScope, false],
  ])("%s over the scopes %j: %s", (query, scopes, expected) => {
    // Act
    const selected = matchesScopes(parseScopeQuery(query), scopes);
    // Assess
    expect(selected).toBe(expected);
  });

  it.each([
    "",
    "Madrid",
    "/Madrid/#/Gardens",
    "/Madrid/Gar#dens",
    "/Madrid/+x",
    "/Madrid//Gardens",
    "/Madrid/",
    "/A,",
    "(/A;/B",
    "/A)",
    "/A /B",
  ])("refuses %j with BadRequestData naming scopeQ", (query) => {
    // Act
    const attempt = () => parseScopeQuery(query);
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        status: 400,
        code: "BadRequestData",
        errors: [expect.objectContaining({ field: "scopeQ" })],
      }),
    );
  });
});

describe("scopes in the temporal API", () => {
  it("refuses a scope on a temporal entity, naming scope: the history keeps attribute instances only", async () => {
    // Prepare
    const ctx = await contextCache(bundledContextLoader).resolve("villamar", undefined);
    const body = { id: "urn:ngsi-ld:Building:t", type: "Building", scope: PARQUE_NORTE };
    // Act
    const attempt = () => parseTemporalEntity(body, ctx, { whole: true });
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        code: "BadRequestData",
        errors: [expect.objectContaining({ field: "scope" })],
      }),
    );
  });
});
