import { describe, expect, it } from "vitest";
import { startScheduler } from "./scheduler";

describe("local scheduler", () => {
  it("fires a target at its rate and lets a run under way finish before stop resolves", async () => {
    // Prepare
    const runs: Array<{ started: number; finished?: number }> = [];
    let firstStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      firstStarted = resolve;
    });
    // rate(1 minute) sped up 6,000 times: every 10 ms; each run takes 150 ms and never overlaps itself.
    const scheduler = startScheduler(
      [
        {
          name: "slow-check",
          rate: "rate(1 minute)",
          invoke: async (event) => {
            const run: { started: number; finished?: number } = { started: Date.now() };
            runs.push(run);
            expect(event["detail-type"]).toBe("Scheduled Event");
            firstStarted();
            await new Promise((resolve) => setTimeout(resolve, 150));
            run.finished = Date.now();
          },
        },
      ],
      "eu-west-1",
      6_000,
    );
    await started;
    // Act
    await scheduler.stop();
    const runsAtStop = runs.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Assess
    expect(runsAtStop).toBe(1);
    expect(runs[0]?.finished).toEqual(expect.any(Number));
    expect(runs).toHaveLength(1);
  });
});
