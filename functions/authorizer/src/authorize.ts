import {
  AUTHORIZER_CONTEXT_PRINCIPAL,
  AUTHORIZER_CONTEXT_RETRY_AFTER,
  type AuditEvent,
  Env,
  isApiKeyShaped,
  type Principal,
  parseApiKey,
} from "@sdp/contracts";
import { type Clock, errorFields, log, systemClock } from "@sdp/kernel";
import type { AuditLog } from "@sdp/lambda-kit";
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import { checkApiKey } from "./api-keys";
import type { ApiKeyLookup, DestinationStatus } from "./ports";
import { principalFromClaims } from "./principal";

export const AuthorizerConfig = z.object({
  [Env.tokenIssuer]: z.url(),
  [Env.jwksUrl]: z.url(),
  [Env.tokenAudience]: z.string().min(1),
});

export interface TokenVerifier {
  verify(token: string): Promise<JWTPayload>;
}

/** Verifies JWTs from Cognito in AWS, from the local issuer locally: one path, configured by environment. */
export function buildJwtVerifier(config: z.infer<typeof AuthorizerConfig>): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(config[Env.jwksUrl]), { cooldownDuration: 30_000 });
  return {
    async verify(token: string) {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config[Env.tokenIssuer],
        audience: config[Env.tokenAudience],
        algorithms: ["RS256"],
      });
      return payload;
    },
  };
}

export interface AuthorizerDeps {
  readonly verifier: TokenVerifier;
  readonly keys: ApiKeyLookup;
  readonly destinations: DestinationStatus;
  readonly audit: AuditLog;
  /** The deployment's stage: the `<env>` of every key it accepts. */
  readonly stage: string;
  readonly pepper: string;
  readonly clock?: Clock;
}

const AUDITED: ReadonlySet<string> = new Set(["active", "suspended", "offboarding"]);

/** API Gateway turns this exact message into a 401. */
const unauthorized = () => new Error("Unauthorized");

function bearerToken(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const entry = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === "authorization");
  const match = /^Bearer\s+(\S+)$/i.exec(entry?.[1] ?? "");
  return match?.[1];
}

/** Every route of the API: the principal is decided here, the route's own checks run in the handler. */
function apiWideResource(methodArn: string): string {
  const [arn, stage] = methodArn.split("/");
  return `${arn}/${stage}/*`;
}

function policy(
  principalId: string,
  effect: "Allow" | "Deny",
  methodArn: string,
  context?: Record<string, string>,
) {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: apiWideResource(methodArn) }],
    },
    ...(context ? { context } : {}),
  } satisfies APIGatewayAuthorizerResult;
}

/**
 * The API's authorizer (DESIGN §5): a bearer credential is either an SME's API key (`sdp_…`) or a
 * person's token. Bad credentials are Unauthorized at once; principals of a destination that is not
 * active (suspended, leaving, gone) are denied. Refusals of credentials that name a destination are
 * appended to its audit log.
 */
export const buildHandler =
  (deps: AuthorizerDeps) =>
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const now = (deps.clock ?? systemClock).now();
    const refusal = async (
      tenant: string,
      actor: AuditEvent["actor"],
      status: 401 | 403,
      code: string,
      resourceId?: string,
    ) => {
      const entry: AuditEvent = {
        at: now.toISOString(),
        requestId: event.requestContext?.requestId ?? "unknown",
        actor,
        action: {
          operationId: "authorize",
          method: event.httpMethod ?? "UNKNOWN",
          path: event.resource ?? event.path ?? "",
          ...(resourceId ? { resourceId } : {}),
        },
        source: {
          ip: event.requestContext?.identity?.sourceIp ?? "unknown",
          ...(event.requestContext?.identity?.userAgent
            ? { userAgent: event.requestContext.identity.userAgent.slice(0, 256) }
            : {}),
        },
        outcome: { status, code },
      };
      // Only a destination that still has its tables keeps a log (not one unknown, failed or gone).
      if (!AUDITED.has((await deps.destinations.status(tenant)) ?? "unknown")) return;
      try {
        await deps.audit.append(tenant, entry);
      } catch (error) {
        log.error("audit append failed", { auditTenant: tenant, ...errorFields(error) });
      }
    };
    const admit = async (principal: Principal, context: Record<string, string> = {}) => {
      if (principal.tenant !== undefined) {
        const status = await deps.destinations.status(principal.tenant);
        if (status !== "active") {
          const actor = {
            kind: principal.kind,
            id: principal.id,
            ...(principal.keyId ? { keyId: principal.keyId } : {}),
          };
          await refusal(principal.tenant, actor, 403, `destination-${status ?? "unknown"}`, principal.keyId);
          return policy(principal.id, "Deny", event.methodArn);
        }
      }
      return policy(principal.id, "Allow", event.methodArn, {
        [AUTHORIZER_CONTEXT_PRINCIPAL]: JSON.stringify(principal),
        ...context,
      });
    };

    const token = bearerToken(event);
    if (!token) throw unauthorized();

    if (isApiKeyShaped(token)) {
      const presented = parseApiKey(token);
      if (!presented || presented.env !== deps.stage) throw unauthorized();
      const verdict = await checkApiKey(deps, presented, now);
      if (verdict.kind === "unknown") throw unauthorized();
      if (verdict.kind === "refused") {
        log.info("API key refused", { reason: verdict.reason, keyId: presented.keyId });
        await refusal(
          verdict.tenant,
          { kind: "sme", id: verdict.smeId, keyId: presented.keyId },
          401,
          verdict.reason,
          presented.keyId,
        );
        throw unauthorized();
      }
      const retry = verdict.retryAfterSeconds;
      return admit(
        verdict.principal,
        retry === undefined ? {} : { [AUTHORIZER_CONTEXT_RETRY_AFTER]: String(retry) },
      );
    }

    let payload: JWTPayload;
    try {
      payload = await deps.verifier.verify(token);
    } catch (error) {
      log.info("token refused", { reason: error instanceof Error ? error.name : "unknown" });
      throw unauthorized();
    }
    const principal = principalFromClaims(payload);
    if (!principal) throw unauthorized();
    return admit(principal);
  };
