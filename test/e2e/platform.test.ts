import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * The platform as a user meets it: `npm start` in a separate process, then plain HTTP. Covers the
 * foundation's promises: every component healthy, the demo destination seeded, the tenant API refusing
 * bad input without changing anything, provisioning, and data surviving a restart.
 */
let platform: PlatformProcess;
const dataDir = newDataDir();

beforeAll(async () => {
  platform = await startPlatform(dataDir);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const api = (path: string) => `${platform.summary.api}${path}`;
const admin = () => ({
  authorization: `Bearer ${platform.summary.adminToken}`,
  "content-type": "application/json",
});
const uniqueSlug = () => `e2e-${crypto.randomUUID().slice(0, 8)}`;

async function listSlugs(): Promise<string[]> {
  const response = await fetch(api("/platform/tenants?limit=100"), { headers: admin() });
  const body = (await response.json()) as { items: Array<{ slug: string }> };
  return body.items.map((tenant) => tenant.slug).sort();
}

async function waitForStatus(slug: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(api(`/platform/tenants/${slug}`), { headers: admin() });
    const tenant = (await response.json()) as { status: string; resources: string[] };
    if (tenant.status !== "provisioning" || Date.now() > deadline) return tenant;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the local platform", () => {
  it("reports every component healthy and describes itself in runtime.json", async () => {
    // Act
    const response = await fetch(platform.summary.health);
    const health = (await response.json()) as {
      status: string;
      components: Record<string, { status: string }>;
    };
    // Assess
    expect(response.status).toBe(200);
    expect(health.status).toBe("ok");
    expect(Object.keys(health.components)).toEqual(
      expect.arrayContaining(["dynamodb", "kinesis", "mqtt", "http", "identity", "events", "eventSources"]),
    );
    expect(platform.summary).toMatchObject({
      api: expect.stringMatching(/^http:\/\//),
      mqtt: expect.stringMatching(/^mqtt:\/\//),
      dynamodb: expect.stringMatching(/^http:\/\//),
      kinesis: expect.stringMatching(/^http:\/\//),
      demoTenant: "villamar",
      adminToken: expect.any(String),
    });
  });

  it("seeds the demo destination, active, with its tables", async () => {
    // Act
    const tenant = await waitForStatus("villamar");
    // Assess
    expect(tenant.status).toBe("active");
    const dynamodb = new DynamoDBClient({ endpoint: platform.summary.dynamodb });
    for (const table of tenant.resources) {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.TableStatus).toBe("ACTIVE");
    }
    expect(tenant.resources).toContain("sdp-local-villamar-tenants-audit");
  });

  it("onboards a destination through the API: 202, then active with its tables", async () => {
    // Prepare
    const slug = uniqueSlug();
    // Act
    const created = await fetch(api("/platform/tenants"), {
      method: "POST",
      headers: admin(),
      body: JSON.stringify({ slug, name: "Playa Test", timeZone: "Atlantic/Canary", languages: ["en"] }),
    });
    const tenant = await waitForStatus(slug);
    // Assess
    expect(created.status).toBe(202);
    expect(created.headers.get("location")).toBe(`/platform/tenants/${slug}`);
    expect(await created.json()).toMatchObject({
      slug,
      status: "provisioning",
      defaultLanguage: "en",
      currency: "EUR",
    });
    expect(tenant.status).toBe("active");
    // Every service's tenant tables, named for this destination.
    expect(tenant.resources).toContain(`sdp-local-${slug}-tenants-audit`);
    expect(tenant.resources.every((name) => name.startsWith(`sdp-local-${slug}-`))).toBe(true);
  });

  it("lets exactly one of several concurrent onboardings of the same slug through", async () => {
    // Prepare
    const slug = uniqueSlug();
    const body = JSON.stringify({ slug, name: "Race" });
    // Act
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(api("/platform/tenants"), { method: "POST", headers: admin(), body }).then((r) => r.status),
      ),
    );
    // Assess
    expect(statuses.sort()).toEqual([202, 409, 409, 409, 409]);
  });

  describe("refuses bad requests to the tenant API with a problem and changes nothing", () => {
    const taken = uniqueSlug();
    beforeAll(async () => {
      await fetch(api("/platform/tenants"), {
        method: "POST",
        headers: admin(),
        body: JSON.stringify({ slug: taken, name: "Taken" }),
      });
    });

    const cases: Array<[string, () => Promise<RequestInit & { path?: string }>, number, string | undefined]> =
      [
        [
          "an unknown field",
          async () => ({ body: JSON.stringify({ slug: uniqueSlug(), name: "X", owner: "me" }) }),
          400,
          "body.owner",
        ],
        [
          "a bad slug",
          async () => ({ body: JSON.stringify({ slug: "Bad Slug!", name: "X" }) }),
          400,
          "body.slug",
        ],
        [
          "a reserved slug",
          async () => ({ body: JSON.stringify({ slug: "platform", name: "X" }) }),
          400,
          "body.slug",
        ],
        [
          "a wrong type",
          async () => ({ body: JSON.stringify({ slug: uniqueSlug(), name: 42 }) }),
          400,
          "body.name",
        ],
        [
          "an unknown time zone",
          async () => ({ body: JSON.stringify({ slug: uniqueSlug(), name: "X", timeZone: "Mars/Base" }) }),
          400,
          "body.timeZone",
        ],
        ["malformed JSON", async () => ({ body: '{"slug": "abc",' }), 400, "body"],
        [
          "a duplicate slug",
          async () => ({ body: JSON.stringify({ slug: taken, name: "Again" }) }),
          409,
          "body.slug",
        ],
        [
          "no credential",
          async () => ({
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ slug: uniqueSlug(), name: "X" }),
          }),
          401,
          undefined,
        ],
        [
          "a garbage token",
          async () => ({
            headers: { authorization: "Bearer not.a.jwt", "content-type": "application/json" },
            body: JSON.stringify({ slug: uniqueSlug(), name: "X" }),
          }),
          401,
          undefined,
        ],
        [
          "a destination admin's token",
          async () => ({
            headers: {
              authorization: `Bearer ${await signAs(dataDir, platform.summary.issuer, { "cognito:groups": ["admin"], "custom:tenant": "villamar" })}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({ slug: uniqueSlug(), name: "X" }),
          }),
          403,
          undefined,
        ],
        [
          "an 11 MB body",
          async () => ({ body: JSON.stringify({ slug: uniqueSlug(), name: "x".repeat(11 * 1024 * 1024) }) }),
          413,
          undefined,
        ],
      ];

    it.each(cases)("%s", async (_label, request, status, field) => {
      // Prepare
      const before = await listSlugs();
      const init = await request();
      // Act
      const response = await fetch(api("/platform/tenants"), { method: "POST", headers: admin(), ...init });
      const problem = (await response.json()) as { status: number; errors?: Array<{ field: string }> };
      // Assess
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(problem.status).toBe(status);
      if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
      expect(await listSlugs()).toEqual(before);
    });

    it("answers an unknown destination with 404 and an unknown route with 404", async () => {
      // Act
      const tenant = await fetch(api("/platform/tenants/nowhere-town"), { headers: admin() });
      const route = await fetch(api("/nothing/here"), { headers: admin() });
      // Assess
      expect([tenant.status, route.status]).toEqual([404, 404]);
    });
  });

  it("keeps every destination across a restart", async () => {
    // Prepare
    const before = await listSlugs();
    // Act
    const code = await platform.stop("SIGTERM");
    const stopOutput = platform.output();
    platform = await startPlatform(dataDir);
    // Assess
    expect(code, stopOutput).toBe(0);
    expect(await listSlugs()).toEqual(before);
    const health = await fetch(platform.summary.health);
    expect(health.status).toBe(200);
  }, 120_000);
});
