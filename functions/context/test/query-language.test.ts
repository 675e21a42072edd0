import { describe, expect, it } from "vitest";
import { type AttributePath, evaluate, parseQuery } from "../src/domain/query-language";

/** Evaluates q against a flat map of path text → values (as the entity resolver would give). */
function check(q: string, values: Record<string, unknown[]>): boolean {
  const resolve = (path: AttributePath) => {
    const found = values[path.text];
    return { exists: found !== undefined, values: found ?? [] };
  };
  return evaluate(parseQuery(q), resolve);
}

describe("the NGSI-LD query language", () => {
  it.each([
    ["temperature==20", { temperature: [20] }, true],
    ["temperature==20", { temperature: [21] }, false],
    ["temperature!=20", { temperature: [21] }, true],
    ["temperature>20", { temperature: [20.5] }, true],
    ["temperature>=20", { temperature: [20] }, true],
    ["temperature<20", { temperature: [20] }, false],
    ["temperature<=20", { temperature: [19] }, true],
    ["temperature==10..20", { temperature: [15] }, true],
    ["temperature==10..20", { temperature: [25] }, false],
    ["temperature!=10..20", { temperature: [25] }, true],
    ['status=="open","busy"', { status: ["busy"] }, true],
    ["status==open,busy", { status: ["closed"] }, false],
    ['status!="open","busy"', { status: ["closed"] }, true],
    ['name~="^Playa"', { name: ["Playa de Villamar"] }, true],
    ['name!~="^Playa"', { name: ["Playa de Villamar"] }, false],
    ['name~="(?i)playa"', { name: ["x"] }, "error"],
    [
      "refParking==urn:ngsi-ld:OffStreetParking:P1",
      { refParking: ["urn:ngsi-ld:OffStreetParking:P1"] },
      true,
    ],
    ["isOpen==true", { isOpen: [true] }, true],
    ["isOpen==false", { isOpen: [true] }, false],
    ["dateObserved>=2024-01-01T00:00:00Z", { dateObserved: ["2024-05-01T10:00:00Z"] }, true],
    [
      "dateObserved<2024-01-01",
      { dateObserved: [{ "@type": "DateTime", "@value": "2023-05-01T10:00:00Z" }] },
      true,
    ],
    [
      "temperature.observedAt>2024-01-01T00:00:00Z",
      { "temperature.observedAt": ["2024-06-01T00:00:00Z"] },
      true,
    ],
    ['address[city]=="Villamar"', { "address[city]": ["Villamar"] }, true],
    ['category=="beach"', { category: [["museum", "beach"]] }, true],
    ['category!="beach"', { category: [["museum", "beach"]] }, false],
    ["temperature", { temperature: [1] }, true],
    ["!temperature", { temperature: [1] }, false],
    ["!temperature", {}, true],
    ['temperature=="20"', { temperature: [20] }, false],
  ])("%s on %j is %s", (q, values, expected) => {
    // Act
    const outcome = () => check(q, values);
    // Assess
    if (expected === "error") expect(outcome).toThrow();
    else expect(outcome()).toBe(expected);
  });

  it("binds ; tighter than | and honours parentheses", () => {
    // Prepare
    const values = { a: [1], b: [2], c: [3] };
    // Act
    const withoutParens = check("a==9|b==2;c==3", values);
    const withParens = check("(a==9|b==2);c==4", values);
    const nested = check("((a==1;b==2)|c==9);!d", values);
    // Assess
    expect([withoutParens, withParens, nested]).toEqual([true, false, true]);
  });

  it("reads attribute paths: sub-attributes with dots, value keys with brackets", () => {
    // Act
    const simple = parseQuery("a.b.c[d][e.f]==1");
    // Assess
    expect(simple).toMatchObject({
      kind: "compare",
      path: { names: ["a", "b", "c"], keys: ["d", "e", "f"] },
      operator: "==",
    });
  });

  it.each([
    ["", "empty"],
    ["temperature>", "value is expected"],
    ["(a==1", 'missing ")"'],
    ["a==1)", "unexpected"],
    ["a[b==1", 'missing "]"'],
    ["a>1,2", "list of values"],
    ["a>1..2", "range"],
    ['a~="(a+)+$"', "nests quantifiers"],
    ['a=="open', "not closed"],
  ])("refuses %j with a reason (%s)", (q, reason) => {
    // Act
    const attempt = () => parseQuery(q);
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        status: 400,
        code: "BadRequestData",
        detail: expect.stringContaining(reason),
      }),
    );
  });
});

describe("full IRIs in the query language", () => {
  it("reads an IRI as the attribute name, with sub-attributes after its last segment", () => {
    // Act
    const parsed = parseQuery('https://example.org/terms/length.unitCode=="MTR"');
    // Assess
    expect(parsed).toMatchObject({
      path: { names: ["https://example.org/terms/length", "unitCode"], keys: [] },
    });
  });
});
