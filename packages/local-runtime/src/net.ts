import { createServer, Socket } from "node:net";

/** Asks the OS for a free TCP port on the loopback interface. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not obtain a free port"));
      });
    });
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, host = "127.0.0.1", timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(500);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.connect(port, host);
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/**
 * The port for a component: `SDP_PORTS=auto` takes a free one, an explicit variable wins, otherwise
 * the documented default.
 */
export async function choosePort(
  explicit: string | undefined,
  fallback: number,
  auto: boolean,
): Promise<number> {
  if (explicit !== undefined && explicit !== "") {
    const port = Number(explicit);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port: ${explicit}`);
    return port === 0 ? freePort() : port;
  }
  return auto ? freePort() : fallback;
}
