import type { IncomingMessage } from "node:http";

export type BodyResult = { readonly kind: "ok"; readonly body: Buffer } | { readonly kind: "too-large" };

/**
 * Reads a request body up to `limitBytes`. A declared length over the limit is refused before any
 * byte is read, and a streamed body is refused as soon as it crosses the limit, so memory stays
 * bounded whatever the client sends.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.resolve({ kind: "too-large" });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        chunks.length = 0;
        resolve({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: "ok", body: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    // A client that goes away mid-body must not leave the request pending forever.
    const onClose = () => onError(new Error("the client closed the connection before the body ended"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/**
 * After a refusal the rest of the body is read and thrown away (never kept), so the client can
 * finish sending and read the answer instead of seeing its connection reset mid-upload.
 */
/**
 * Reads and drops the rest of a refused body so the client, still uploading, can read the answer;
 * gives up (the caller then closes the connection) past `maxBytes` or `maxMs`.
 */
export function discardBody(
  req: IncomingMessage,
  maxBytes = 64 * 1024 * 1024,
  maxMs = 10_000,
): Promise<void> {
  return new Promise((resolve) => {
    let dropped = 0;
    const done = () => {
      clearTimeout(timer);
      req.removeListener("data", count);
      resolve();
    };
    const count = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    req.on("error", done);
    req.on("end", done);
    req.on("data", count);
    req.resume();
  });
}
