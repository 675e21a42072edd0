import { AUTHORIZER_CONTEXT_PRINCIPAL, Env } from "@sdp/contracts";
import { log } from "@sdp/kernel";
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
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

export const buildHandler =
  (verifier: TokenVerifier) =>
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const token = bearerToken(event);
    if (!token) throw unauthorized();
    let payload: JWTPayload;
    try {
      payload = await verifier.verify(token);
    } catch (error) {
      log.info("token refused", { reason: error instanceof Error ? error.name : "unknown" });
      throw unauthorized();
    }
    const principal = principalFromClaims(payload);
    if (!principal) throw unauthorized();
    return {
      principalId: principal.id,
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: apiWideResource(event.methodArn) }],
      },
      context: { [AUTHORIZER_CONTEXT_PRINCIPAL]: JSON.stringify(principal) },
    };
  };

