import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import { Staff } from "../domain/staff";
import { tenantsManifest } from "../manifest";
import { staffDeps } from "../wiring";
import { destinationOf } from "./support";

const deps = staffDeps();

export const inviteStaff = httpRoute(routeOf(tenantsManifest, "inviteStaff"), async (input) => {
  const invited = await Staff.invite(deps, destinationOf(input), input.body);
  return respond.created(invited, `/destination/staff/${invited.user.userId}`);
});

export const listStaff = httpRoute(routeOf(tenantsManifest, "listStaff"), async (input) =>
  respond.ok(await Staff.list(deps, destinationOf(input))),
);

export const changeStaffRoles = httpRoute(routeOf(tenantsManifest, "changeStaffRoles"), async (input) =>
  respond.ok(
    await Staff.changeRoles(
      deps,
      destinationOf(input),
      input.params.userId,
      input.body.roles,
      input.principal,
    ),
  ),
);

export const removeStaff = httpRoute(routeOf(tenantsManifest, "removeStaff"), async (input) => {
  await Staff.remove(deps, destinationOf(input), input.params.userId, input.principal);
  return respond.noContent();
});
