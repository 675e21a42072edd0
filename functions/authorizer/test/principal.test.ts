import { describe, expect, it } from "vitest";
import { principalFromClaims } from "../src/principal";

describe("principalFromClaims", () => {
  it.each([
    [
      "platform admin",
      { sub: "a", "cognito:groups": ["platform-admin"] },
      { kind: "platform-admin", id: "a", roles: ["platform-admin"], scopes: [] },
    ],
    [
      "destination staff keeps only known roles",
      { sub: "s", "cognito:groups": ["operator", "misc"], "custom:tenant": "villamar" },
      { kind: "staff", id: "s", tenant: "villamar", roles: ["operator"], scopes: [] },
    ],
    [
      "tourist",
      { sub: "t", "custom:tenant": "villamar", "custom:kind": "tourist" },
      { kind: "tourist", id: "t", tenant: "villamar", roles: [], scopes: [] },
    ],
  ])("maps a %s", (_label, claims, expected) => {
    // Act
    const principal = principalFromClaims(claims);
    // Assess
    expect(principal).toEqual(expected);
  });

  it.each([
    ["staff without a tenant", { sub: "s", "cognito:groups": ["admin"] }],
    ["staff without a role", { sub: "s", "custom:tenant": "villamar" }],
    ["a malformed tenant", { sub: "s", "cognito:groups": ["admin"], "custom:tenant": "Not A Slug" }],
    ["no subject", { "cognito:groups": ["platform-admin"] }],
  ])("refuses %s", (_label, claims) => {
    // Act
    const principal = principalFromClaims(claims);
    // Assess
    expect(principal).toBeUndefined();
  });
});
