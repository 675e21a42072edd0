import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { EventPattern } from "@sdp/contracts";
import { errorFields, log } from "@sdp/kernel";
import type { EventBridgeEvent } from "aws-lambda";
import { z } from "zod";

/**
 * The local stand-in for an EventBridge bus: it speaks the PutEvents JSON protocol, so code publishes
 * with the real `@aws-sdk/client-eventbridge` client through `AWS_ENDPOINT_URL_EVENTBRIDGE`, and it
 * delivers matching events to consumers asynchronously, once each, like an EventBridge rule target.
 */
export interface BusRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly deliver: (event: EventBridgeEvent<string, unknown>) => Promise<void>;
}

export interface RunningEventBus {
  readonly endpoint: string;
  stop(): Promise<void>;
  /** Resolves once every delivery started so far has finished. */
  settled(): Promise<void>;
  stats(): { received: number; delivered: number; failedDeliveries: number };
}

const PutEventsRequest = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        Time: z.union([z.number(), z.string()]).optional(),
      }),
    )
    .min(1)
    .max(10),
});

export function matchesPattern(pattern: EventPattern, source: string, detailType: string): boolean {
  if (pattern.source && !pattern.source.includes(source)) return false;
  if (pattern.detailType && !pattern.detailType.includes(detailType)) return false;
  return true;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new Error("request too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  res.end(JSON.stringify(body));
}

export async function startEventBus(options: {
  port: number;
  host?: string;
  region: string;
  rules: readonly BusRule[];
}): Promise<RunningEventBus> {
  const host = options.host ?? "127.0.0.1";
  const inFlight = new Set<Promise<void>>();
  const counters = { received: 0, delivered: 0, failedDeliveries: 0 };

  const dispatch = (event: EventBridgeEvent<string, unknown>) => {
    for (const rule of options.rules) {
      if (!matchesPattern(rule.pattern, event.source, event["detail-type"])) continue;
      const delivery = rule
        .deliver(event)
        .then(() => {
          counters.delivered += 1;
        })
        .catch((error: unknown) => {
          counters.failedDeliveries += 1;
          log.error("event delivery failed", { rule: rule.name, eventId: event.id, ...errorFields(error) });
        })
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    }
  };

  const server = createServer(async (req, res) => {
    try {
      const target = req.headers["x-amz-target"];
      if (req.method !== "POST" || target !== "AWSEvents.PutEvents") {
        reply(res, 400, {
          __type: "UnknownOperationException",
          message: `unsupported operation ${String(target)}`,
        });
        return;
      }
      const parsed = PutEventsRequest.safeParse(JSON.parse(await readBody(req, 256 * 1024)));
      if (!parsed.success) {
        reply(res, 400, {
          __type: "ValidationException",
          message: parsed.error.issues[0]?.message ?? "invalid",
        });
        return;
      }
      const entries = parsed.data.Entries.map((entry) => {
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
        }
        const id = randomUUID();
        counters.received += 1;
        dispatch({
          version: "0",
          id,
          "detail-type": entry.DetailType,
          source: entry.Source,
          account: "000000000000",
          time: new Date().toISOString(),
          region: options.region,
          resources: entry.Resources ?? [],
          detail,
        });
        return { EventId: id };
      });
      const failed = entries.filter((entry) => "ErrorCode" in entry).length;
      reply(res, 200, { FailedEntryCount: failed, Entries: entries });
    } catch {
      reply(res, 400, { __type: "SerializationException", message: "could not read the request" });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    endpoint: `http://${host}:${options.port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    stats: () => ({ ...counters }),
  };
}
