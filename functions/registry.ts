import type { ServiceManifest } from "@sdp/contracts";
import { authorizerManifest } from "@sdp/fn-authorizer/manifest";
import { contextManifest } from "@sdp/fn-context/manifest";
import { ingestManifest } from "@sdp/fn-ingest/manifest";
import { tenantsManifest } from "@sdp/fn-tenants/manifest";

/**
 * Every service of the platform. The CDK app and the local runtime are both handed this list; neither
 * knows a service by name.
 */
export const serviceManifests: readonly ServiceManifest[] = [
  authorizerManifest,
  tenantsManifest,
  ingestManifest,
  contextManifest,
];
