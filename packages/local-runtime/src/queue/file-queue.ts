import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The local stand-in for an SQS dead-letter queue: a durable, append-only JSON Lines file. Messages
 * survive restarts; deletion rewrites the file atomically. One process owns a queue file.
 */
export interface QueueMessage {
  readonly messageId: string;
  readonly sentAt: string;
  readonly body: unknown;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface LocalQueue {
  readonly name: string;
  send(body: unknown, attributes?: Record<string, string>): QueueMessage;
  list(): QueueMessage[];
  delete(messageIds: readonly string[]): number;
}

export function openFileQueue(name: string, file: string): LocalQueue {
  mkdirSync(dirname(file), { recursive: true });
  const readAll = (): QueueMessage[] => {
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as QueueMessage];
        } catch {
          // A torn last line from a crash mid-append is skipped, not fatal.
          return [];
        }
      });
  };
  return {
    name,
    send(body, attributes = {}) {
      const message: QueueMessage = {
        messageId: randomUUID(),
        sentAt: new Date().toISOString(),
        body,
        attributes,
      };
      appendFileSync(file, `${JSON.stringify(message)}\n`);
      return message;
    },
    list: readAll,
    delete(messageIds) {
      const remove = new Set(messageIds);
      const all = readAll();
      const kept = all.filter((m) => !remove.has(m.messageId));
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, kept.map((m) => `${JSON.stringify(m)}\n`).join(""));
      renameSync(temporary, file);
      return all.length - kept.length;
    },
  };
}
