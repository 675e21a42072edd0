import { createDocumentClient } from "@sdp/aws";
import {
  ApiKeyPepper,
  ApiKeyTable,
  Env,
  IdentityEnv,
  platformTableEnvName,
  Stage,
  TenantRegistry,
} from "@sdp/contracts";
import { loadConfig, loadConfigValue } from "@sdp/kernel";
import { auditLogFromEnv } from "@sdp/lambda-kit";
import { z } from "zod";
import { buildDynamoDbApiKeyLookup } from "./adapters/dynamodb-api-keys";
import {
  buildDynamoDbDestinationStatus,
  cachedDestinationStatus,
} from "./adapters/dynamodb-destination-status";
import { AuthorizerConfig, buildHandler, buildJwtVerifier } from "./authorize";

const API_KEYS_ENV = platformTableEnvName(ApiKeyTable.service, ApiKeyTable.purpose);
const REGISTRY_ENV = platformTableEnvName(TenantRegistry.service, TenantRegistry.purpose);

const KeyConfig = z.object({ [Env.stage]: Stage, [IdentityEnv.apiKeyPepper]: ApiKeyPepper });

const keyConfig = loadConfig(KeyConfig);
const client = createDocumentClient();

/** The Lambda entry point: configuration checked at cold start, the JWKS fetched once and cached. */
export const handler = buildHandler({
  verifier: buildJwtVerifier(loadConfig(AuthorizerConfig)),
  keys: buildDynamoDbApiKeyLookup(client, loadConfigValue(API_KEYS_ENV, z.string().min(3))),
  destinations: cachedDestinationStatus(
    buildDynamoDbDestinationStatus(client, loadConfigValue(REGISTRY_ENV, z.string().min(3))),
  ),
  audit: auditLogFromEnv(),
  stage: keyConfig[Env.stage],
  pepper: keyConfig[IdentityEnv.apiKeyPepper],
});
