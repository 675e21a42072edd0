import { AsyncLocalStorage } from "node:async_hooks";
import type { Principal } from "@sdp/contracts";

/**
 * The request scope: who acts, for which destination, under which request id. It travels in
 * AsyncLocalStorage so stores and loggers can read it without every call passing it along.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly principal?: Principal;
  /** The destination the request acts on: the principal's own, or the one a platform admin named. */
  readonly tenant?: string;
  /** Epoch milliseconds by which the request must be answered; none for background work. */
  readonly deadline?: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const Scope = {
  run<T>(scope: RequestScope, fn: () => T): T {
    return storage.run(scope, fn);
  },
  current(): RequestScope | undefined {
    return storage.getStore();
  },
  /** The destination of the current request; throws if the code runs outside a tenant scope. */
  tenant(): string {
    const tenant = storage.getStore()?.tenant;
    if (tenant === undefined) {
      throw new Error("no tenant in scope: store calls must run inside a tenant-scoped request");
    }
    return tenant;
  },
  principal(): Principal | undefined {
    return storage.getStore()?.principal;
  },
  requestId(): string | undefined {
    return storage.getStore()?.requestId;
  },
  /** Whether the current request has run past its deadline (never, outside a request or without one). */
  pastDeadline(now = Date.now()): boolean {
    const deadline = storage.getStore()?.deadline;
    return deadline !== undefined && now >= deadline;
  },
};
