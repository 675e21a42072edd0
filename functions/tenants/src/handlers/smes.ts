import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { actorRef } from "../domain/destination";
import { Smes } from "../domain/smes";
import { tenantsManifest } from "../manifest";
import { smeDeps } from "../wiring";
import { destinationOf } from "./support";

const deps = smeDeps();

export const createSme = httpRoute(routeOf(tenantsManifest, "createSme"), async (input) => {
  const sme = await Smes.create(deps, destinationOf(input), input.body);
  return respond.created(sme, `/destination/smes/${sme.id}`);
});

export const listSmes = httpRoute(routeOf(tenantsManifest, "listSmes"), async (input) =>
  respond.ok(await Smes.list(deps, destinationOf(input), input.query.limit, input.query.cursor)),
);

export const getSme = httpRoute(routeOf(tenantsManifest, "getSme"), async (input) =>
  respond.ok(await Smes.get(deps, destinationOf(input), input.params.smeId)),
);

export const updateSme = httpRoute(routeOf(tenantsManifest, "updateSme"), async (input) =>
  respond.ok(await Smes.update(deps, destinationOf(input), input.params.smeId, input.body)),
);

export const deleteSme = httpRoute(routeOf(tenantsManifest, "deleteSme"), async (input) => {
  await Smes.remove(deps, destinationOf(input), input.params.smeId, actorRef(input.principal));
  return respond.noContent();
});
