import { Problems, TouristSignUpRequest } from "@sdp/contracts";
import { httpRoute, respond, routeOf } from "@sdp/lambda-kit";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { Tourists } from "../domain/tourists";
import { tenantsManifest } from "../manifest";
import { touristDeps } from "../wiring";

const deps = touristDeps();

/** The tourist a request is about: always the caller, never a path parameter. */
function me(input: { principal: { id: string } | undefined; tenant: string | undefined }) {
  if (!input.principal || input.tenant === undefined) throw Problems.unauthenticated();
  return { tenant: input.tenant, touristId: input.principal.id };
}

/** A sign-up has no principal yet: its audit entry goes to the destination named in the body. */
function destinationInBody(event: APIGatewayProxyEvent): string | undefined {
  try {
    const parsed = TouristSignUpRequest.pick({ destination: true }).safeParse(JSON.parse(event.body ?? ""));
    return parsed.success ? parsed.data.destination : undefined;
  } catch {
    return undefined;
  }
}

export const signUpTourist = httpRoute(
  routeOf(tenantsManifest, "signUpTourist"),
  async ({ body }) => {
    const created = await Tourists.signUp(deps, body);
    return respond.created(created, "/tourist/me");
  },
  { audit: { tenantOf: destinationInBody } },
);

export const getTouristProfile = httpRoute(routeOf(tenantsManifest, "getTouristProfile"), async (input) => {
  const { tenant, touristId } = me(input);
  return respond.ok(await Tourists.profile(deps, tenant, touristId));
});

export const setTouristConsent = httpRoute(routeOf(tenantsManifest, "setTouristConsent"), async (input) => {
  const { tenant, touristId } = me(input);
  return respond.ok(await Tourists.consent(deps, tenant, touristId, input.params.purpose, input.body));
});

export const exportTourist = httpRoute(routeOf(tenantsManifest, "exportTourist"), async (input) => {
  const { tenant, touristId } = me(input);
  return respond.ok(await Tourists.export(deps, tenant, touristId));
});

export const eraseTourist = httpRoute(routeOf(tenantsManifest, "eraseTourist"), async (input) => {
  const { tenant, touristId } = me(input);
  await Tourists.erase(deps, tenant, touristId);
  return respond.noContent();
});
