import { type LookupAddress, lookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { classifyAddress, classifyHost, type NetworkPolicy, refusal } from "../endpoint";
import { DeliveryRefusedError, type HttpSender } from "../ports";

/**
 * POSTs notifications with Node's HTTP client: the address a hostname resolves to is checked before
 * the connection is made (so a name cannot be pointed at a metadata or internal address after the
 * subscription was accepted), redirects are not followed, and the whole exchange has one deadline.
 * Connections are kept alive per endpoint, so a busy receiver is not paid a handshake per notification.
 */
const MAX_SOCKETS_PER_HOST = 8;

export type Resolver = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) => lookup(hostname, { all: true }, callback);

/** A `lookup` that refuses names resolving to addresses the policy forbids (DNS rebinding included). */
export function guardedLookup(policy: NetworkPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (error, addresses) => {
      if (error) {
        callback(error, "", 0);
        return;
      }
      const list: LookupAddress[] = Array.isArray(addresses) ? addresses : [];
      const refused = list
        .map((a) => refusal(classifyAddress(a.address) ?? "forbidden", policy))
        .find((reason) => reason !== undefined);
      if (refused || list.length === 0) {
        callback(new DeliveryRefusedError(`${hostname} ${refused ?? "has no address"}`), "", 0);
        return;
      }
      if (options.all) callback(null, list);
      else {
        const [first] = list;
        callback(null, first?.address ?? "", first?.family ?? 4);
      }
    });
  };
}

export function buildHttpSender(policy: NetworkPolicy, resolve: Resolver = systemResolver): HttpSender {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST }),
    https: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST }),
  };
  const guarded = guardedLookup(policy, resolve);
  return {
    post({ url, headers, body, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const refused = refusal(classifyHost(target.hostname), policy);
        if (refused) {
          reject(new DeliveryRefusedError(`${target.hostname} ${refused}`));
          return;
        }
        let settled = false;
        const settle = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          outcome();
        };
        const secure = target.protocol === "https:";
        const request = (secure ? https : http).request(target, {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          agent: secure ? agents.https : agents.http,
          lookup: guarded,
        });
        const timer = setTimeout(() => {
          request.destroy(new Error(`no answer within ${timeoutMs} ms`));
          settle(() => reject(new Error(`no answer within ${timeoutMs} ms`)));
        }, timeoutMs);
        request.on("response", (response) => {
          // The answer's body is not needed: drained and dropped.
          response.resume();
          response.on("end", () => settle(() => resolve({ status: response.statusCode ?? 0 })));
          response.on("error", (error) => settle(() => reject(error)));
          response.on("close", () => settle(() => resolve({ status: response.statusCode ?? 0 })));
        });
        request.on("error", (error) => settle(() => reject(error)));
        request.end(body);
      });
    },
  };
}
