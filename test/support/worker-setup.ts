import { inject } from "vitest";

// The SDK reads these, exactly as Lambda code does in the local runtime: no test-only branches.
process.env.AWS_REGION = "eu-west-1";
process.env.AWS_ACCESS_KEY_ID = "local";
process.env.AWS_SECRET_ACCESS_KEY = "local";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject("dynamodbEndpoint");
process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = inject("dynamodbEndpoint");
process.env.AWS_ENDPOINT_URL_KINESIS = inject("kinesisEndpoint");
process.env.SDP_LOG_LEVEL ??= "silent";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
