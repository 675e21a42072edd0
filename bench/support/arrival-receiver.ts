import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ArrivalReceiver {
  /** POST notifications here. */
  readonly url: string;
  /** When each sequence number first arrived (performance.now()). */
  readonly arrivals: Map<number, number>;
  close(): Promise<void>;
}

/**
 * An HTTP notification endpoint on 127.0.0.1 that notes when each sequence number (the integer value
 * of `"<field>":n` anywhere in a body) first arrives; a duplicate delivery keeps the first time.
 */
export async function startArrivalReceiver(field: string): Promise<ArrivalReceiver> {
  const arrivals = new Map<number, number>();
  const sequence = new RegExp(`"${field}":(\\d+)`, "g");
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => {
      const now = performance.now();
      for (const match of text.matchAll(sequence)) {
        const seq = Number(match[1]);
        if (!arrivals.has(seq)) arrivals.set(seq, now);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    arrivals,
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}
