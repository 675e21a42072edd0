/**
 * Names of every environment variable the platform reads. `infra/` sets them on Lambda functions and
 * the local runtime sets them on its process, so each name is written once, here.
 */
export const Env = {
  stage: "SDP_STAGE",
  region: "AWS_REGION",
  destinationTemplate: "SDP_DESTINATION_TEMPLATE",
  destinationProvisioner: "SDP_DESTINATION_PROVISIONER",
  destinationStackRoleArn: "SDP_DESTINATION_STACK_ROLE_ARN",
  tokenIssuer: "SDP_TOKEN_ISSUER",
  tokenAudience: "SDP_TOKEN_AUDIENCE",
  jwksUrl: "SDP_JWKS_URL",
  /** The platform event bus that outbox publishers put domain events on. */
  eventBus: "SDP_EVENT_BUS",
  logLevel: "SDP_LOG_LEVEL",
  dataDir: "SDP_DATA_DIR",
  ports: "SDP_PORTS",
  apiPort: "SDP_API_PORT",
  dynamodbPort: "SDP_DYNAMODB_PORT",
  kinesisPort: "SDP_KINESIS_PORT",
  mqttPort: "SDP_MQTT_PORT",
  host: "SDP_HOST",
  endpointDynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  endpointDynamodbStreams: "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
  endpointKinesis: "AWS_ENDPOINT_URL_KINESIS",
  endpointCloudformation: "AWS_ENDPOINT_URL_CLOUDFORMATION",
  /**
   * IoT Core's data-plane endpoint (`https://<prefix>-ats.iot.<region>.amazonaws.com`): account specific,
   * so infra takes it from the `sdp:iotDataEndpoint` context value (docs/operations.md).
   */
  endpointIotData: "AWS_ENDPOINT_URL_IOT_DATA_PLANE",
  /**
   * Whether NGSI-LD notification endpoints may be loopback or private-network addresses: `allow` or
   * `deny`. Unset: allowed on the `local` stage only. Link-local and metadata addresses are never allowed.
   */
  notifyPrivateNetworks: "SDP_NOTIFY_PRIVATE_NETWORKS",
} as const;

export type EnvName = (typeof Env)[keyof typeof Env];

/**
 * The variable that carries the physical name of a platform table: `SDP_TABLE_<SERVICE>_<PURPOSE>`.
 * infra sets it on the service's functions; the local runtime sets it on its process.
 */
export function platformTableEnvName(service: string, purpose: string): string {
  return envSegments("SDP_TABLE", service, purpose);
}

/** The variable carrying a platform Kinesis stream's name: `SDP_STREAM_<SERVICE>_<PURPOSE>`. */
export function platformStreamEnvName(service: string, purpose: string): string {
  return envSegments("SDP_STREAM", service, purpose);
}

/**
 * The variable carrying a platform queue's URL: `SDP_QUEUE_<SERVICE>_<PURPOSE>`. An SQS queue URL in
 * AWS; a `file:` URL of the JSON Lines queue locally.
 */
export function platformQueueEnvName(service: string, purpose: string): string {
  return envSegments("SDP_QUEUE", service, purpose);
}

function envSegments(prefix: string, service: string, purpose: string): string {
  return [prefix, service, purpose]
    .filter(Boolean)
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, "_");
}
