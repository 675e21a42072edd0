import { httpRoute, routeOf } from "@sdp/lambda-kit";
import { acceptText } from "../adapters/text-bodies";
import { requireDestination } from "../domain/errors";
import { ingestMeasurements } from "../domain/measurements";
import { ingestManifest } from "../manifest";
import { measurementDeps } from "../wiring";

/**
 * HTTP ingestion. Besides the JSON batch, the IoT Agent's UltraLight binding is accepted: a
 * `text/plain` body with `?i=<deviceId>`. Not audited: measurements are data, not changes to the
 * destination's configuration, and they arrive at rates an audit chain is not made for.
 */
export const buildHandler = (deps = measurementDeps()) =>
  acceptText(
    "text/plain",
    (payload, event) => {
      const deviceId = event.queryStringParameters?.i;
      return deviceId ? { body: { measurements: [{ deviceId, payload }] }, removeQuery: ["i"] } : undefined;
    },
    httpRoute(
      routeOf(ingestManifest, "ingestMeasurements"),
      async ({ body, tenant }) => {
        const result = await ingestMeasurements(deps, requireDestination(tenant), body);
        return { status: result.rejected === 0 ? 202 : 207, body: result };
      },
      { audit: { log: false } },
    ),
  );

export const handler = buildHandler();
