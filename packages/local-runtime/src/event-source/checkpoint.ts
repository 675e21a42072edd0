import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

const ShardCheckpointSchema = z.object({
  /** Last sequence number whose processing is committed; reading resumes after it. */
  sequenceNumber: z.string().min(1).optional(),
  /** A closed shard read to its end: its children may start. */
  finished: z.boolean().optional(),
});

const CheckpointFileSchema = z.object({
  version: z.literal(1),
  /** Keyed by stream ARN: a DynamoDB table recreated gets a new stream whose positions start over. */
  streams: z.record(z.string(), z.record(z.string(), ShardCheckpointSchema)),
});

export type ShardCheckpoint = z.infer<typeof ShardCheckpointSchema>;
type CheckpointFile = z.infer<typeof CheckpointFileSchema>;

export class InvalidCheckpointFileError extends Error {
  constructor(file: string, cause: unknown) {
    super(
      `Checkpoint file ${file} is not a valid event source checkpoint; refusing to guess a position (fix or remove it)`,
      { cause },
    );
    this.name = "InvalidCheckpointFileError";
  }
}

/**
 * Per-shard positions of one mapping, persisted so that a restart resumes exactly where the last
 * committed batch ended. Every change is written to a temporary file, flushed and renamed over the
 * previous one, so a crash leaves either the old or the new position, never a torn file.
 */
export class CheckpointStore {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly state: CheckpointFile,
  ) {}

  /** Reads synchronously so that a corrupt file fails `startEventSourceMapping` itself, loudly. */
  static open(file: string): CheckpointStore {
    if (!existsSync(file)) return new CheckpointStore(file, { version: 1, streams: {} });
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new InvalidCheckpointFileError(file, error);
    }
    const result = CheckpointFileSchema.safeParse(parsed);
    if (!result.success) throw new InvalidCheckpointFileError(file, result.error);
    return new CheckpointStore(file, result.data);
  }

  get(streamArn: string, shardId: string): ShardCheckpoint | undefined {
    return this.state.streams[streamArn]?.[shardId];
  }

  /** Resolves once the position is durable; only then may the caller treat the records as done. */
  commit(streamArn: string, shardId: string, sequenceNumber: string): Promise<void> {
    this.shards(streamArn)[shardId] = { sequenceNumber };
    return this.persist();
  }

  finish(streamArn: string, shardId: string): Promise<void> {
    const shards = this.shards(streamArn);
    shards[shardId] = { ...shards[shardId], finished: true };
    return this.persist();
  }

  /**
   * Forgets finished shards that have left the stream (trimmed), so the file does not grow forever.
   * `keep` lists the shards still present and their parents: a parent stays known while a child
   * exists, since that is what tells the child to start at its trim horizon.
   */
  prune(streamArn: string, keep: ReadonlySet<string>): Promise<void> {
    const shards = this.state.streams[streamArn];
    if (!shards) return Promise.resolve();
    const gone = Object.keys(shards).filter((id) => shards[id]?.finished === true && !keep.has(id));
    if (gone.length === 0) return Promise.resolve();
    for (const id of gone) delete shards[id];
    return this.persist();
  }

  /** Waits for writes already requested. */
  flush(): Promise<void> {
    return this.writes;
  }

  private shards(streamArn: string): Record<string, ShardCheckpoint> {
    let shards = this.state.streams[streamArn];
    if (!shards) {
      shards = {};
      this.state.streams[streamArn] = shards;
    }
    return shards;
  }

  private persist(): Promise<void> {
    // The snapshot is taken now and writes run one after another, so the file always ends with the
    // newest state even when several shards commit at once.
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const write = this.writes.then(() => writeAtomically(this.file, text));
    this.writes = write.catch(() => undefined);
    return write;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
