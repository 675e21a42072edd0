import { kinesisConsumer } from "../adapters/kinesis-consumer";
import { consumerDeps } from "../wiring";

/** The ingest stream's consumer: measurements to context updates, poison records to the dead-letter queue. */
export const handler = kinesisConsumer(consumerDeps());
