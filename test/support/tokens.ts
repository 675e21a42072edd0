import { join } from "node:path";
import { openLocalIssuer } from "../../packages/local-runtime/src/identity";
import { LOCAL_TOKEN_AUDIENCE } from "../../packages/local-runtime/src/runtime";

/**
 * Signs a token with a running local platform's issuer key (from its data directory), as the identity
 * provider would for a signed-in user with these claims.
 */
export async function signAs(
  dataDir: string,
  issuer: string,
  claims: Record<string, unknown>,
  subject = `user-${crypto.randomUUID()}`,
) {
  const local = await openLocalIssuer({ keyFile: join(dataDir, "identity", "signing-key.json"), issuer });
  return local.sign(claims, { subject, audience: LOCAL_TOKEN_AUDIENCE, expiresInSeconds: 600 });
}
