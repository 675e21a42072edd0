import { describe, expect, it } from "vitest";
import { interpretBatchResponse } from "./batch-response";

const batch = ["100", "200", "300", "400"];

describe("interpretBatchResponse", () => {
  it.each([
    ["an undefined response", undefined],
    ["a null response", null],
    ["an empty response", {}],
    ["a null failure list", { batchItemFailures: null }],
    ["an empty failure list", { batchItemFailures: [] }],
    ["a response of another shape", "done"],
  ])("treats %s as a complete success", (_, response) => {
    // Prepare, Act
    const outcome = interpretBatchResponse(response, batch);
    // Assess
    expect(outcome).toEqual({ kind: "success" });
  });

  it.each([
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a misnamed key", { batchItemFailures: [{ itemId: "200" }] }],
    ["an identifier outside the batch", { batchItemFailures: [{ itemIdentifier: "999" }] }],
    ["a failure list that is not a list", { batchItemFailures: "200" }],
  ])("treats %s as a failure of the whole batch", (_, response) => {
    // Prepare, Act
    const outcome = interpretBatchResponse(response, batch);
    // Assess
    expect(outcome.kind).toBe("invalid");
  });

  it("resumes at the lowest failed sequence number, whatever the order reported", () => {
    // Prepare
    const response = { batchItemFailures: [{ itemIdentifier: "400" }, { itemIdentifier: "200" }] };
    // Act
    const outcome = interpretBatchResponse(response, batch);
    // Assess
    expect(outcome).toEqual({ kind: "partial", failedIndex: 1 });
  });
});
