/**
 * The device topic grammar and its MQTT matching now live in `@sdp/contracts` (infra renders the IoT
 * device policy from the same module); this path stays for the local runtime's own imports.
 */
export {
  DESTINATION_ATTRIBUTE,
  DEVICE_TOPIC_GRAMMAR,
  devicePolicy,
  filterCovers,
  IOT_POLICY_VARIABLES,
  IOT_TOPIC_LIMITS,
  type IotArnScope,
  type IotPolicyDocument,
  type IotPolicyStatement,
  iotPolicyDocument,
  iotPolicyStatements,
  isValidTopicFilter,
  isValidTopicName,
  mayConnect,
  mayPublish,
  mayReceive,
  maySubscribe,
  THING_NAME_PATTERN,
  type TopicPolicy,
  topicMatches,
  UNRESTRICTED_POLICY,
  withinTopicLimits,
} from "@sdp/contracts";
