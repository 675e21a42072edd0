import { type StreamConsumerDeclaration, withEventSourceDefaults } from "@sdp/contracts";
import { CfnEventSourceMapping } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";

export interface StreamMappingProps {
  /** A name rather than an ARN, so that the destination stack can point at a platform function. */
  readonly functionName: string;
  readonly eventSourceArn: string;
  readonly consumer: StreamConsumerDeclaration;
  readonly onFailureDestinationArn?: string;
}

/**
 * An event source mapping with every setting of the declaration written out, Lambda's defaults included,
 * so that the template states what the local poller emulates rather than relying on service defaults.
 */
export function streamMapping(
  scope: Construct,
  id: string,
  props: StreamMappingProps,
): CfnEventSourceMapping {
  const settings = withEventSourceDefaults(props.consumer);
  return new CfnEventSourceMapping(scope, id, {
    functionName: props.functionName,
    eventSourceArn: props.eventSourceArn,
    batchSize: settings.batchSize,
    maximumBatchingWindowInSeconds: settings.maximumBatchingWindowSeconds,
    startingPosition: settings.startingPosition,
    maximumRetryAttempts: settings.maximumRetryAttempts,
    maximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
    bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
    ...(settings.reportBatchItemFailures ? { functionResponseTypes: ["ReportBatchItemFailures"] } : {}),
    ...(props.onFailureDestinationArn
      ? { destinationConfig: { onFailure: { destination: props.onFailureDestinationArn } } }
      : {}),
  });
}
