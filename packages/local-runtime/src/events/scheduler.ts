import { randomUUID } from "node:crypto";
import { errorFields, log } from "@sdp/kernel";
import type { ScheduledEvent } from "aws-lambda";

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Milliseconds between runs of an EventBridge rate expression; throws on anything else. */
export function rateToMs(rate: string): number {
  const match = RATE.exec(rate);
  const amount = Number(match?.[1]);
  const unit = match?.[2]?.replace(/s$/, "");
  if (!match || !unit || !(amount > 0)) throw new Error(`unsupported schedule expression: ${rate}`);
  return amount * (UNIT_MS[unit] ?? Number.NaN);
}

export interface ScheduleTarget {
  readonly name: string;
  readonly rate: string;
  readonly invoke: (event: ScheduledEvent) => Promise<void>;
}

/** The local stand-in for EventBridge schedules: each target fires at its rate, never overlapping itself. */
export function startScheduler(targets: readonly ScheduleTarget[], region: string, speedUp = 1) {
  const inFlight = new Set<Promise<void>>();
  const timers = targets.map((target) => {
    let running = false;
    return setInterval(
      () => {
        if (running) return;
        running = true;
        const event: ScheduledEvent = {
          version: "0",
          id: randomUUID(),
          "detail-type": "Scheduled Event",
          source: "aws.events",
          account: "000000000000",
          time: new Date().toISOString(),
          region,
          resources: [`arn:aws:events:${region}:000000000000:rule/${target.name}`],
          detail: {},
        };
        const run = target
          .invoke(event)
          .catch((error: unknown) =>
            log.error("scheduled run failed", { schedule: target.name, ...errorFields(error) }),
          )
          .finally(() => {
            running = false;
            inFlight.delete(run);
          });
        inFlight.add(run);
      },
      Math.max(1, rateToMs(target.rate) / speedUp),
    );
  });
  return {
    /** No new runs; the ones under way finish first, as the stores they write to are still up. */
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
