import { describe, expect, it } from "vitest";
import { candidateTypes, matchesTypes, parseTypeSelection } from "../src/domain/type-selection";

describe("the entity type selection language", () => {
  it.each([
    ["Beach", ["Beach"], true],
    ["Beach", ["Museum"], false],
    ["Beach,Museum", ["Museum"], true],
    ["Beach|Museum", ["Museum"], true],
    ["Beach;Museum", ["Museum"], false],
    ["Beach;Museum", ["Beach", "Museum"], true],
    ["(Beach;Museum),Store", ["Store"], true],
    ["Beach;(Museum|Store)", ["Beach", "Store"], true],
    ["Beach;(Museum|Store)", ["Beach"], false],
  ])("%s selects an entity of types %j: %s", (expression, types, expected) => {
    // Act
    const selected = matchesTypes(parseTypeSelection(expression), types);
    // Assess
    expect(selected).toBe(expected);
  });

  it("names the index partitions a selection needs: every OR operand, one AND operand", () => {
    // Act
    const or = candidateTypes(parseTypeSelection("A,B|C"));
    const and = candidateTypes(parseTypeSelection("(A|B);C"));
    // Assess
    expect(or.sort()).toEqual(["A", "B", "C"]);
    expect(and).toEqual(["C"]);
  });

  it.each(["", "A,", "(A;B", "A)", "A B"])("refuses %j", (expression) => {
    // Act
    const attempt = () => parseTypeSelection(expression);
    // Assess
    expect(attempt).toThrow(expect.objectContaining({ status: 400, code: "BadRequestData" }));
  });
});
