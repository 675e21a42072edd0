import { z } from "zod";

export {
  DEMO_DEVICE_ID,
  DEMO_FLEET,
  type DemoDevice,
  type DemoDeviceKind,
  seedDemoDevices,
} from "./devices/demo-fleet";

/** The demo destination every fresh local platform starts with. */
export const DEMO_TENANT = {
  slug: "villamar",
  name: "Villamar (demo coastal destination)",
  defaultLanguage: "es",
  languages: ["en", "de", "fr"],
  currency: "EUR",
  timeZone: "Europe/Madrid",
  tier: "standard",
  contact: { name: "Villamar Tourism Office", email: "turismo@villamar.example" },
} as const;

const TenantStatusBody = z.object({
  slug: z.string(),
  status: z.string(),
  statusReason: z.string().optional(),
});

/**
 * Onboards the demo destination through the public tenant API, as an administrator would, and waits
 * for it to become active. An existing demo destination is left as it is.
 */
export async function seedDemoTenant(api: string, adminToken: string, timeoutMs = 60_000): Promise<string> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const created = await fetch(`${api}/platform/tenants`, {
    method: "POST",
    headers,
    body: JSON.stringify(DEMO_TENANT),
  });
  if (created.status !== 202 && created.status !== 409) {
    throw new Error(`could not create the demo destination: HTTP ${created.status} ${await created.text()}`);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${api}/platform/tenants/${DEMO_TENANT.slug}`, { headers });
    const tenant = TenantStatusBody.parse(await response.json());
    if (tenant.status === "active") return tenant.slug;
    if (tenant.status === "failed")
      throw new Error(`demo destination failed: ${tenant.statusReason ?? "unknown reason"}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the demo destination was not active within ${timeoutMs} ms`);
}
