import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { ApiKeys } from "../domain/api-keys";
import { actorRef } from "../domain/destination";
import { tenantsManifest } from "../manifest";
import { apiKeyDeps } from "../wiring";
import { destinationOf } from "./support";

const deps = apiKeyDeps();

export const issueApiKey = httpRoute(routeOf(tenantsManifest, "issueApiKey"), async (input) => {
  const { smeId } = input.params;
  const issued = await ApiKeys.issue(
    deps,
    destinationOf(input),
    smeId,
    input.body,
    actorRef(input.principal),
  );
  return respond.created(issued, `/destination/smes/${smeId}/keys/${issued.keyId}`);
});

export const listApiKeys = httpRoute(routeOf(tenantsManifest, "listApiKeys"), async (input) =>
  respond.ok(await ApiKeys.list(deps, destinationOf(input), input.params.smeId)),
);

export const rotateApiKey = httpRoute(routeOf(tenantsManifest, "rotateApiKey"), async (input) => {
  const { smeId, keyId } = input.params;
  const issued = await ApiKeys.rotate(
    deps,
    destinationOf(input),
    smeId,
    keyId,
    input.body,
    actorRef(input.principal),
  );
  return respond.created(issued, `/destination/smes/${smeId}/keys/${issued.keyId}`);
});

export const revokeApiKey = httpRoute(routeOf(tenantsManifest, "revokeApiKey"), async (input) => {
  const { smeId, keyId } = input.params;
  await ApiKeys.revoke(deps, destinationOf(input), smeId, keyId, actorRef(input.principal));
  return respond.noContent();
});
