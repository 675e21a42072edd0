import { z } from "zod";

/**
 * What a REST API accepts back from a Lambda REQUEST authorizer, and how it decides with it. Anything
 * outside this shape makes API Gateway answer 500 (AuthorizerConfigurationException), so the local
 * front refuses it too instead of guessing.
 */
const StringOrList = z.union([z.string(), z.array(z.string()).min(1)]);

const Statement = z.object({
  Effect: z.enum(["Allow", "Deny"]),
  Action: StringOrList,
  Resource: StringOrList,
});

export const AuthorizerResult = z.object({
  principalId: z.string().min(1),
  policyDocument: z.object({
    Version: z.string(),
    // IAM accepts a single statement object as well as a list.
    Statement: z.union([z.array(Statement), Statement]),
  }),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  usageIdentifierKey: z.string().nullish(),
});
export type AuthorizerResult = z.infer<typeof AuthorizerResult>;

export type PolicyDocument = AuthorizerResult["policyDocument"];

const INVOKE_ACTION = "execute-api:Invoke";

/** Whether the policy lets the caller invoke `methodArn`: an explicit Deny wins, then any Allow. */
export function isInvokeAllowed(policy: PolicyDocument, methodArn: string): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  let allowed = false;
  for (const statement of statements) {
    // IAM compares action names case-insensitively and resources case-sensitively.
    const actionMatches = list(statement.Action).some((a) => wildcard(a, true).test(INVOKE_ACTION));
    const resourceMatches = list(statement.Resource).some((r) => wildcard(r, false).test(methodArn));
    if (!actionMatches || !resourceMatches) continue;
    if (statement.Effect === "Deny") return false;
    allowed = true;
  }
  return allowed;
}

/**
 * The authorizer context as a REST API hands it to the integration: every value as a string.
 */
export function stringifyContext(context: AuthorizerResult["context"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context ?? {})) out[key] = String(value);
  return out;
}

function list(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

/** IAM wildcards: `*` any run of characters (slashes included), `?` exactly one. */
export function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s");
}
