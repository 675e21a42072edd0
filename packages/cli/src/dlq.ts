import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from "@aws-sdk/client-kinesis";
import { IngestDeadLetter } from "@sdp/contracts";
import { type RuntimeSummary, readRuntimeSummary } from "@sdp/local-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { z } from "zod";

/**
 * `sdp dlq list|replay`: the dead-letter queues of the local platform, which are JSON Lines files under
 * `$SDP_DATA_DIR/queues/`. Three kinds of letters are understood:
 * - records the ingest consumer refused, with the reason (`ingest-record`);
 * - messages an IoT rule could not put on its stream (the rule's error action);
 * - batches an event source mapping gave up on (Lambda's on-failure record: stream positions only).
 * `replay` puts the original records back on their stream; replayed letters are remembered in a
 * `<queue>.jsonl.replayed` file beside the queue (the runtime owns the queue file, so it is not rewritten).
 */
export const DLQ_USAGE = `  dlq list [--queue NAME] [--reason R] [--all] [--json]
                                 dead letters of the local platform (--all: replayed ones too)
  dlq replay [--queue NAME] [--reason R] [--id MESSAGE_ID ...] [--dry-run]
                                 put the original records back on their stream`;

const QueueMessage = z.object({
  messageId: z.string(),
  sentAt: z.string(),
  body: z.unknown(),
  attributes: z.record(z.string(), z.string()).default({}),
});

const IotErrorAction = z.object({
  ruleName: z.string(),
  topic: z.string(),
  clientId: z.string(),
  base64OriginalPayload: z.string(),
  failures: z.array(
    z.object({ failedAction: z.string(), failedResource: z.string(), errorMessage: z.string() }),
  ),
});

const OnFailureRecord = z.object({
  requestContext: z.object({ condition: z.string(), functionArn: z.string() }),
  KinesisBatchInfo: z.object({
    shardId: z.string(),
    startSequenceNumber: z.string(),
    endSequenceNumber: z.string(),
    batchSize: z.number(),
    streamArn: z.string(),
  }),
});

type Letter =
  | { kind: "ingest-record"; body: IngestDeadLetter }
  | { kind: "iot-error-action"; body: z.infer<typeof IotErrorAction> }
  | { kind: "stream-batch"; body: z.infer<typeof OnFailureRecord> }
  | { kind: "other"; body: unknown };

export interface ListedLetter {
  readonly queue: string;
  readonly messageId: string;
  readonly sentAt: string;
  readonly kind: Letter["kind"];
  readonly reason: string;
  readonly detail: string;
  readonly partitionKey?: string;
  readonly replayed: boolean;
}

function classify(body: unknown): Letter {
  const ingest = IngestDeadLetter.safeParse(body);
  if (ingest.success) return { kind: "ingest-record", body: ingest.data };
  const iot = IotErrorAction.safeParse(body);
  if (iot.success) return { kind: "iot-error-action", body: iot.data };
  const batch = OnFailureRecord.safeParse(body);
  if (batch.success) return { kind: "stream-batch", body: batch.data };
  return { kind: "other", body };
}

function describe(letter: Letter): { reason: string; detail: string; partitionKey?: string } {
  switch (letter.kind) {
    case "ingest-record":
      return {
        reason: letter.body.reason,
        detail: letter.body.detail,
        partitionKey: letter.body.partitionKey,
      };
    case "iot-error-action":
      return {
        reason: "iot-rule-action-failed",
        detail: `${letter.body.ruleName}: ${letter.body.failures[0]?.errorMessage ?? ""}`,
        partitionKey: partitionKeyOfTopic(letter.body.topic),
      };
    case "stream-batch":
      return {
        reason: letter.body.requestContext.condition,
        detail: `${letter.body.KinesisBatchInfo.batchSize} record(s) of ${letter.body.KinesisBatchInfo.shardId}`,
      };
    case "other":
      return { reason: "unknown", detail: JSON.stringify(letter.body).slice(0, 120) };
  }
}

/** The ingest IoT rules' partition keys: `<destination>/<thing>`, or `.../ack/<commandId>` for acknowledgements. */
function partitionKeyOfTopic(topic: string): string {
  const [root, tenant = "", thing = "", commandId, ack] = topic.split("/");
  return root === "cmd" && ack === "ack" && commandId
    ? `${tenant}/${thing}/ack/${commandId}`
    : `${tenant}/${thing}`;
}

interface QueueFile {
  readonly name: string;
  readonly file: string;
}

function queuesOf(dataDir: string, only: string | undefined): QueueFile[] {
  const directory = join(dataDir, "queues");
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((entry) => entry.endsWith(".jsonl"))
    .map((entry) => ({ name: basename(entry, ".jsonl"), file: join(directory, entry) }))
    .filter((queue) => only === undefined || queue.name === only || queue.name.endsWith(`-${only}`));
}

const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
    : [];

function readQueue(
  queue: QueueFile,
): Array<{ message: z.infer<typeof QueueMessage>; letter: Letter; replayed: boolean }> {
  const replayed = new Set(lines(`${queue.file}.replayed`));
  return lines(queue.file).flatMap((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return []; // A torn last line from a crash mid-append.
    }
    const message = QueueMessage.safeParse(parsed);
    if (!message.success) return [];
    return [
      {
        message: message.data,
        letter: classify(message.data.body),
        replayed: replayed.has(message.data.messageId),
      },
    ];
  });
}

/** Every dead letter of the data directory's queues, oldest first per queue. */
export function listDeadLetters(
  dataDir: string,
  options: { queue?: string; all?: boolean; reason?: string } = {},
): ListedLetter[] {
  return queuesOf(dataDir, options.queue).flatMap((queue) =>
    readQueue(queue)
      .filter((entry) => options.all || !entry.replayed)
      .map((entry) => ({
        queue: queue.name,
        messageId: entry.message.messageId,
        sentAt: entry.message.sentAt,
        kind: entry.letter.kind,
        ...describe(entry.letter),
        replayed: entry.replayed,
      }))
      .filter((entry) => options.reason === undefined || entry.reason === options.reason),
  );
}

function kinesisFor(summary: RuntimeSummary): KinesisClient {
  return new KinesisClient({
    endpoint: summary.kinesis,
    region: summary.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000 }),
  });
}

const streamNameOf = (arn: string) => arn.split(":stream/")[1] ?? arn;

/** The records of a batch an event source gave up on, read back from the stream by sequence number. */
async function recordsOfBatch(
  kinesis: KinesisClient,
  info: z.infer<typeof OnFailureRecord>["KinesisBatchInfo"],
) {
  const streamName = streamNameOf(info.streamArn);
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: info.shardId,
      ShardIteratorType: "AT_SEQUENCE_NUMBER",
      StartingSequenceNumber: info.startSequenceNumber,
    }),
  );
  const found: PutRecordsRequestEntry[] = [];
  let iterator = ShardIterator;
  const end = BigInt(info.endSequenceNumber);
  while (iterator && found.length < info.batchSize) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const record of page.Records ?? []) {
      if (BigInt(record.SequenceNumber ?? "0") > end) return { streamName, records: found };
      found.push({ PartitionKey: record.PartitionKey, Data: record.Data });
    }
    if ((page.Records ?? []).length === 0) break;
    iterator = page.NextShardIterator;
  }
  return { streamName, records: found };
}

async function recordsOf(
  kinesis: KinesisClient,
  letter: Letter,
): Promise<{ streamName: string; records: PutRecordsRequestEntry[] } | undefined> {
  switch (letter.kind) {
    case "ingest-record":
      return {
        streamName: letter.body.stream,
        records: [{ PartitionKey: letter.body.partitionKey, Data: Buffer.from(letter.body.data, "base64") }],
      };
    case "iot-error-action": {
      const streamName = letter.body.failures[0]?.failedResource;
      if (!streamName) return undefined;
      return {
        streamName,
        records: [
          {
            PartitionKey: partitionKeyOfTopic(letter.body.topic),
            Data: Buffer.from(letter.body.base64OriginalPayload, "base64"),
          },
        ],
      };
    }
    case "stream-batch":
      return recordsOfBatch(kinesis, letter.body.KinesisBatchInfo);
    case "other":
      return undefined;
  }
}

/** Puts the selected letters' records back on their streams; returns how many letters were replayed. */
export async function replayDeadLetters(
  dataDir: string,
  summary: RuntimeSummary,
  options: {
    queue?: string;
    reason?: string;
    ids?: readonly string[];
    dryRun?: boolean;
    print?: (line: string) => void;
  } = {},
): Promise<{ replayed: number; records: number; skipped: number }> {
  const print = options.print ?? (() => undefined);
  const kinesis = kinesisFor(summary);
  const totals = { replayed: 0, records: 0, skipped: 0 };
  try {
    for (const queue of queuesOf(dataDir, options.queue)) {
      for (const { message, letter, replayed } of readQueue(queue)) {
        if (replayed) continue;
        if (options.ids && options.ids.length > 0 && !options.ids.includes(message.messageId)) continue;
        if (options.reason !== undefined && describe(letter).reason !== options.reason) continue;
        const target = await recordsOf(kinesis, letter);
        if (!target || target.records.length === 0) {
          totals.skipped += 1;
          print(`skip    ${message.messageId} (${letter.kind}: nothing to replay)`);
          continue;
        }
        if (!options.dryRun) {
          const output = await kinesis.send(
            new PutRecordsCommand({ StreamName: target.streamName, Records: target.records }),
          );
          if ((output.FailedRecordCount ?? 0) > 0)
            throw new Error(`Kinesis refused records of ${message.messageId}; try again`);
          appendFileSync(`${queue.file}.replayed`, `${message.messageId}\n`);
        }
        totals.replayed += 1;
        totals.records += target.records.length;
        print(
          `${options.dryRun ? "would replay" : "replayed"} ${message.messageId} → ${target.streamName} (${target.records.length} record(s))`,
        );
      }
    }
  } finally {
    kinesis.destroy();
  }
  return totals;
}

function table(letters: readonly ListedLetter[]): string {
  if (letters.length === 0) return "no dead letters";
  const rows = letters.map((letter) => [
    letter.sentAt.slice(0, 19),
    letter.queue.replace(/^sdp-[a-z0-9]+-platform-/, ""),
    letter.reason,
    letter.partitionKey ?? "",
    letter.detail.slice(0, 60),
    letter.messageId,
  ]);
  const header = ["sent", "queue", "reason", "partition key", "detail", "message id"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  const counts = new Map<string, number>();
  for (const letter of letters) counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
  const totals = [...counts].map(([reason, count]) => `${reason} ${count}`).join(", ");
  return [format(header), ...rows.map(format), "", `${letters.length} dead letter(s): ${totals}`].join("\n");
}

/** `sdp dlq ...`; returns the exit code. */
export async function runDlq(
  argv: readonly string[],
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const [sub, ...rest] = argv;
  const dataDir = resolve(process.env.SDP_DATA_DIR ?? ".sdp-data");
  const { values } = parseArgs({
    args: [...rest],
    options: {
      queue: { type: "string" },
      reason: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" },
      id: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
    },
    strict: true,
  });
  if (sub === "list") {
    const letters = listDeadLetters(dataDir, {
      ...(values.queue ? { queue: values.queue } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      all: values.all ?? false,
    });
    write(`${values.json ? JSON.stringify(letters, null, 2) : table(letters)}\n`);
    return 0;
  }
  if (sub === "replay") {
    let summary: RuntimeSummary;
    try {
      summary = readRuntimeSummary(dataDir);
    } catch {
      write("sdp dlq replay: no running platform found (start it with `npm start`)\n");
      return 1;
    }
    const result = await replayDeadLetters(dataDir, summary, {
      ...(values.queue ? { queue: values.queue } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      ids: values.id ?? [],
      dryRun: values["dry-run"] ?? false,
      print: (line) => write(`${line}\n`),
    });
    write(
      `${result.replayed} letter(s), ${result.records} record(s) ${values["dry-run"] ? "to replay" : "replayed"}; ${result.skipped} skipped\n`,
    );
    return 0;
  }
  write(`usage:\n${DLQ_USAGE}\n`);
  return 2;
}
