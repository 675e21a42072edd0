import { loadConfig } from "@sdp/kernel";
import { AuthorizerConfig, buildHandler, buildJwtVerifier } from "./authorize";

/** The Lambda entry point: configuration checked at cold start, the JWKS fetched once and cached. */
export const handler = buildHandler(buildJwtVerifier(loadConfig(AuthorizerConfig)));
