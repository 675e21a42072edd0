import { randomUUID } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { HandlerRef } from "@sdp/contracts";
import type { Context } from "aws-lambda";

/** Any Lambda handler: the local runtime calls it with an event and a Lambda-shaped context. */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

const loaded = new Map<string, Promise<LambdaHandler>>();

/** Loads a manifest's handler module once (a warm Lambda container keeps its module scope). */
export function loadHandler(root: string, ref: HandlerRef): Promise<LambdaHandler> {
  const file = isAbsolute(ref.file) ? ref.file : join(root, ref.file);
  const key = `${file}#${ref.export}`;
  let handler = loaded.get(key);
  if (!handler) {
    handler = import(pathToFileURL(file).href).then((module: Record<string, unknown>) => {
      const exported = module[ref.export];
      if (typeof exported !== "function")
        throw new Error(`${ref.file} does not export a function ${ref.export}`);
      return exported as LambdaHandler;
    });
    loaded.set(key, handler);
  }
  return handler;
}

export interface InvokeOptions {
  readonly functionName: string;
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
}

export class LambdaTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = "LambdaTimeoutError";
  }
}

/** Builds the context object Lambda passes to a handler. */
export function lambdaContext(options: InvokeOptions): Context {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? "eu-west-1"}:000000000000:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invokes a handler like Lambda does: one event, a context, and the function's timeout enforced. */
export async function invokeHandler<E, R>(
  handler: LambdaHandler<E, R>,
  event: E,
  options: InvokeOptions,
): Promise<R> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(options.functionName, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([handler(event, lambdaContext(options)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
