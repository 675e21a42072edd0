import { defineService } from "@sdp/contracts";

/** The API Gateway request authorizer: turns a credential into a principal (DESIGN §5). */
export const authorizerManifest = defineService({
  service: "authorizer",
  description: "Turns API keys and tokens into principals for every route",
  authorizer: { file: "functions/authorizer/src/handler.ts", export: "handler", memoryMb: 256, timeoutSeconds: 5 },
});
