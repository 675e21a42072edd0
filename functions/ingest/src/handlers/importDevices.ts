import { httpRoute, routeOf } from "@sdp/lambda-kit";
import { acceptText } from "../adapters/text-bodies";
import { Devices } from "../domain/devices";
import { requireDestination } from "../domain/errors";
import { ingestManifest } from "../manifest";
import { registryDeps } from "../wiring";

/** Bulk registration: a JSON array, `{ "csv": ... }`, or a `text/csv` body. 201 if all were created, else 207. */
export const buildHandler = (deps = registryDeps()) =>
  acceptText(
    "text/csv",
    (csv) => ({ body: { csv } }),
    httpRoute(routeOf(ingestManifest, "importDevices"), async ({ body, tenant }) => {
      const result = await Devices.import(deps, requireDestination(tenant), body);
      return { status: result.failed === 0 ? 201 : 207, body: result };
    }),
  );

export const handler = buildHandler();
