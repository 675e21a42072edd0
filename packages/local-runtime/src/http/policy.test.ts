import { describe, expect, it } from "vitest";
import { AuthorizerResult, isInvokeAllowed, type PolicyDocument, stringifyContext } from "./policy";

const ARN = "arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/GET/platform/tenants/valencia";

function statement(
  Effect: "Allow" | "Deny",
  Resource: string | string[],
  Action: string | string[] = "execute-api:Invoke",
) {
  return { Effect, Action, Resource };
}

describe("authorizer policy evaluation", () => {
  it("allows on an exact or wildcard resource and refuses when nothing matches", () => {
    // Prepare
    const cases: Array<[string, boolean]> = [
      [ARN, true],
      ["arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/*", true],
      ["arn:aws:execute-api:*:*:*/*/GET/platform/tenants/*", true],
      ["arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/GET/platform/tenants/valenci?", true],
      ["arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/GET/platform/tenants/valenc?", false],
      ["arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/POST/*", false],
      ["arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/get/platform/tenants/valencia", false],
    ];

    // Act
    const results = cases.map(([resource]) =>
      isInvokeAllowed({ Version: "2012-10-17", Statement: [statement("Allow", resource)] }, ARN),
    );

    // Assess
    expect(results).toEqual(cases.map(([, expected]) => expected));
  });

  it("lets an explicit Deny win over any Allow, in either order", () => {
    // Prepare
    const allow = statement("Allow", "*");
    const deny = statement("Deny", ["arn:aws:execute-api:*:*:*/local/GET/platform/*"]);

    // Act
    const denyLast = isInvokeAllowed({ Version: "2012-10-17", Statement: [allow, deny] }, ARN);
    const denyFirst = isInvokeAllowed({ Version: "2012-10-17", Statement: [deny, allow] }, ARN);

    // Assess
    expect(denyLast).toBe(false);
    expect(denyFirst).toBe(false);
  });

  it("matches the action with wildcards, case-insensitively, and ignores other actions", () => {
    // Prepare
    const policy = (action: string): PolicyDocument => ({
      Version: "2012-10-17",
      Statement: statement("Allow", "*", action),
    });

    // Act / Assess
    expect(isInvokeAllowed(policy("execute-api:*"), ARN)).toBe(true);
    expect(isInvokeAllowed(policy("EXECUTE-API:invoke"), ARN)).toBe(true);
    expect(isInvokeAllowed(policy("*"), ARN)).toBe(true);
    expect(isInvokeAllowed(policy("execute-api:ManageConnections"), ARN)).toBe(false);
    expect(isInvokeAllowed({ Version: "2012-10-17", Statement: [] }, ARN)).toBe(false);
  });

  it("accepts only the output shape API Gateway accepts and stringifies the context", () => {
    // Prepare
    const valid = {
      principalId: "u-1",
      policyDocument: { Version: "2012-10-17", Statement: [statement("Allow", "*")] },
      context: { tenant: "valencia", level: 3, admin: false },
    };

    // Act
    const parsed = AuthorizerResult.parse(valid);

    // Assess
    expect(stringifyContext(parsed.context)).toEqual({ tenant: "valencia", level: "3", admin: "false" });
    expect(AuthorizerResult.safeParse({ ...valid, context: { nested: { a: 1 } } }).success).toBe(false);
    expect(AuthorizerResult.safeParse({ ...valid, principalId: undefined }).success).toBe(false);
    expect(AuthorizerResult.safeParse({ principalId: "u-1" }).success).toBe(false);
    expect(
      AuthorizerResult.safeParse({
        ...valid,
        policyDocument: { Version: "2012-10-17", Statement: [{ Effect: "allow" }] },
      }).success,
    ).toBe(false);
  });
});
