/** A component's health as reported by `GET /health`. */
export interface ComponentHealth {
  readonly status: "ok" | "down";
  readonly endpoint?: string;
  readonly detail?: string;
  readonly stats?: Record<string, unknown>;
}

export type HealthCheck = () => Promise<ComponentHealth>;

export async function checkAll(checks: Record<string, HealthCheck>, timeoutMs = 2_000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const timeout = new Promise<ComponentHealth>((resolve) =>
        setTimeout(
          () => resolve({ status: "down", detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        ).unref(),
      );
      try {
        return [name, await Promise.race([check(), timeout])] as const;
      } catch (error) {
        return [
          name,
          { status: "down", detail: error instanceof Error ? error.name : "error" } as ComponentHealth,
        ] as const;
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const status = entries.every(([, health]) => health.status === "ok") ? "ok" : "degraded";
  return { status, components } as const;
}
