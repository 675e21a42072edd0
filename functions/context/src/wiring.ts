import { createDocumentClient } from "@sdp/aws";
import { Env, Stage, tableName } from "@sdp/contracts";
import { lazyConfig, Scope } from "@sdp/kernel";
import { z } from "zod";
import { bundledContextLoader } from "./adapters/bundled-contexts";
import { buildDynamoDbEntityStore } from "./adapters/dynamodb-entity-store";
import { contextCache } from "./domain/contexts";
import type { ContextDeps } from "./domain/ports";
import { CONTEXT_SERVICE, ENTITIES_TABLE } from "./keys";

const config = lazyConfig(z.object({ [Env.stage]: Stage }));

let shared: ContextDeps | undefined;

/**
 * The broker's dependencies, once per container: one DynamoDB client, one @context cache. The table is
 * chosen per request from the destination in the request scope, never from request input.
 */
export function contextDeps(): ContextDeps {
  if (shared) return shared;
  const client = createDocumentClient();
  shared = {
    store: () =>
      buildDynamoDbEntityStore(
        client,
        tableName(config()[Env.stage], Scope.tenant(), CONTEXT_SERVICE, ENTITIES_TABLE),
      ),
    contexts: contextCache(bundledContextLoader),
  };
  return shared;
}
