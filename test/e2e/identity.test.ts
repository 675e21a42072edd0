import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { newDataDir, type PlatformProcess, startPlatform } from "../support/platform-process";
import { signAs } from "../support/tokens";

/**
 * Identity and access as people and SMEs meet it, over HTTP against `npm start`: SMEs and their API
 * keys, the authorizer's verdicts (revoked, rotated, throttled, suspended), the destination lifecycle
 * with its export, the hash-chained audit log, and staff who sign in locally.
 */
let platform: PlatformProcess;
const dataDir = newDataDir();
const USER_AGENT = "identity-e2e/1";

type Answer = { status: number; body: unknown; headers: Headers; text: string };
const Json = z.record(z.string(), z.unknown());

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${platform.summary.api}${path}`, {
    method,
    headers: {
      "user-agent": USER_AGENT,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, body, headers: response.headers, text };
}

const field = (answer: Answer, name: string): unknown => Json.parse(answer.body)[name];
const str = (answer: Answer, name: string): string => z.string().parse(field(answer, name));

const staff = (tenant: string, roles: string[], subject?: string) =>
  signAs(dataDir, platform.summary.issuer, { "cognito:groups": roles, "custom:tenant": tenant }, subject);

const sme = (marker: string, taxId = `B${Math.floor(Math.random() * 1e8)}`) => ({
  legalName: `Hotel ${marker}`,
  taxId,
  category: "accommodation",
  address: { street: "Paseo Marítimo 1", postalCode: "29600", locality: "Villamar", country: "ES" },
  location: { type: "Point", coordinates: [-4.88, 36.51] },
  contact: { name: "Ana", email: "ana@marazul.example" },
});

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function onboard(slug: string): Promise<void> {
  const created = await call("POST", "/platform/tenants", {
    token: admin(),
    body: { slug, name: `E2E ${slug}` },
  });
  expect(created.status).toBe(202);
  const tenant = await eventually(
    () => call("GET", `/platform/tenants/${slug}`, { token: admin() }),
    (answer) => field(answer, "status") !== "provisioning",
    60_000,
  );
  expect(field(tenant, "status")).toBe("active");
}

const admin = () => platform.summary.adminToken ?? "";
let villamarAdmin: string;

beforeAll(async () => {
  platform = await startPlatform(dataDir);
  villamarAdmin = await staff("villamar", ["admin"], "villamar-admin");
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

describe("SMEs of a destination", () => {
  it("are registered, read, listed, changed and removed by the destination's staff", async () => {
    // Prepare
    const taxId = `B${Date.now()}`;
    // Act
    const created = await call("POST", "/destination/smes", {
      token: villamarAdmin,
      body: sme("Mar Azul", taxId),
    });
    const id = str(created, "id");
    const read = await call("GET", `/destination/smes/${id}`, { token: villamarAdmin });
    const listed = await call("GET", "/destination/smes?limit=100", { token: villamarAdmin });
    const changed = await call("PATCH", `/destination/smes/${id}`, {
      token: villamarAdmin,
      body: { tradeName: "Mar Azul" },
    });
    const duplicate = await call("POST", "/destination/smes", {
      token: villamarAdmin,
      body: sme("Copy", taxId),
    });
    const removed = await call("DELETE", `/destination/smes/${id}`, { token: villamarAdmin });
    const gone = await call("GET", `/destination/smes/${id}`, { token: villamarAdmin });
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/destination/smes/${id}`);
    expect(read.body).toEqual(created.body);
    expect(listed.text).toContain(id);
    expect(changed).toMatchObject({ status: 200, body: { tradeName: "Mar Azul", taxId } });
    expect(duplicate).toMatchObject({ status: 409, body: { errors: [{ field: "body.taxId" }] } });
    expect([removed.status, gone.status]).toEqual([204, 404]);
  });

  it.each([
    ["an unknown field", { ...sme("X"), owner: "me" }, "body.owner"],
    ["a bad category", { ...sme("X"), category: "casino" }, "body.category"],
    [
      "a bad country",
      { ...sme("X"), address: { ...sme("X").address, country: "Spain" } },
      "body.address.country",
    ],
    [
      "a latitude out of range",
      { ...sme("X"), location: { type: "Point", coordinates: [0, 91] } },
      "body.location.coordinates.1",
    ],
    ["a bad e-mail", { ...sme("X"), contact: { name: "A", email: "nope" } }, "body.contact.email"],
  ])("refuse %s with a 400 naming the field", async (_label, body, name) => {
    // Act
    const answer = await call("POST", "/destination/smes", { token: villamarAdmin, body });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(
      z
        .array(z.object({ field: z.string() }))
        .parse(field(answer, "errors"))
        .map((e) => e.field),
    ).toContain(name);
  });

  it("follow the staff roles: operators register but do not remove, viewers only read", async () => {
    // Prepare
    const operator = await staff("villamar", ["operator"]);
    const viewer = await staff("villamar", ["viewer"]);
    // Act
    const created = await call("POST", "/destination/smes", { token: operator, body: sme("Operated") });
    const id = str(created, "id");
    const operatorDelete = await call("DELETE", `/destination/smes/${id}`, { token: operator });
    const viewerRead = await call("GET", `/destination/smes/${id}`, { token: viewer });
    const viewerWrite = await call("PATCH", `/destination/smes/${id}`, {
      token: viewer,
      body: { tradeName: "V" },
    });
    // Assess
    expect([created.status, operatorDelete.status, viewerRead.status, viewerWrite.status]).toEqual([
      201, 403, 200, 403,
    ]);
  });

  it("are reached by a platform administrator only through the NGSILD-Tenant header", async () => {
    // Act
    const named = await call("POST", "/destination/smes", {
      token: admin(),
      body: sme("By platform"),
      headers: { "NGSILD-Tenant": "villamar" },
    });
    const unnamed = await call("GET", "/destination/smes", { token: admin() });
    const unknown = await call("POST", "/destination/smes", {
      token: admin(),
      body: sme("Nowhere"),
      headers: { "NGSILD-Tenant": "nowhere-town" },
    });
    const crossing = await call("GET", "/destination/smes", {
      token: villamarAdmin,
      headers: { "NGSILD-Tenant": "elsewhere" },
    });
    // Assess
    expect(named.status).toBe(201);
    expect(unnamed).toMatchObject({ status: 400, body: { errors: [{ field: "headers.NGSILD-Tenant" }] } });
    expect(unknown.status).toBe(404);
    expect(crossing.status).toBe(403);
  });
});

describe("API keys", () => {
  let smeId: string;
  const issue = async (body: Record<string, unknown> = {}) =>
    call("POST", `/destination/smes/${smeId}/keys`, {
      token: villamarAdmin,
      body: { scopes: ["context:read", "loyalty:earn"], expiresAt: inDays(30), ...body },
    });

  beforeAll(async () => {
    smeId = str(await call("POST", "/destination/smes", { token: villamarAdmin, body: sme("Keys") }), "id");
  });

  it("are shown once, authenticate as their SME, and are listed by prefix with their last use", async () => {
    // Act
    const issued = await issue({ name: "till" });
    const key = str(issued, "key");
    const whoami = await call("GET", "/whoami", { token: key });
    const listed = await call("GET", `/destination/smes/${smeId}/keys`, { token: villamarAdmin });
    // Assess
    expect(issued.status).toBe(201);
    expect(key).toMatch(/^sdp_local_[0-9a-z]{26}_[0-9a-f]{64}$/);
    expect(whoami).toMatchObject({
      status: 200,
      body: {
        principal: {
          kind: "sme",
          id: smeId,
          tenant: "villamar",
          roles: [],
          scopes: ["context:read", "loyalty:earn"],
        },
        tenant: "villamar",
      },
    });
    const secret = key.split("_").at(-1) ?? "";
    expect(listed.text).not.toContain(secret);
    expect(listed.body).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({
          keyId: str(issued, "keyId"),
          prefix: `sdp_local_${str(issued, "keyId")}`,
          lastUsedAt: expect.any(String),
        }),
      ]),
    });
  });

  it("refuse bad input naming the field", async () => {
    // Act
    const unknownScope = await issue({ scopes: ["admin:everything"] });
    const past = await issue({ expiresAt: "2001-01-01T00:00:00Z" });
    const tooFar = await issue({ expiresAt: inDays(1000) });
    const limit = await issue({ rateLimitPerMinute: 0 });
    // Assess
    const fields = (answer: Answer) =>
      z
        .array(z.object({ field: z.string() }))
        .parse(field(answer, "errors"))
        .map((e) => e.field);
    expect(fields(unknownScope)).toContain("body.scopes.0");
    expect(fields(past)).toContain("body.expiresAt");
    expect(fields(tooFar)).toContain("body.expiresAt");
    expect(fields(limit)).toContain("body.rateLimitPerMinute");
  });

  it("rotate with an overlap: both work until it ends; without one the old key stops at once", async () => {
    // Prepare
    const first = await issue();
    // Act
    const rotated = await call("POST", `/destination/smes/${smeId}/keys/${str(first, "keyId")}/rotate`, {
      token: villamarAdmin,
      body: { overlapSeconds: 3600 },
    });
    const oldDuring = await call("GET", "/whoami", { token: str(first, "key") });
    const newDuring = await call("GET", "/whoami", { token: str(rotated, "key") });
    const again = await call("POST", `/destination/smes/${smeId}/keys/${str(rotated, "keyId")}/rotate`, {
      token: villamarAdmin,
      body: { overlapSeconds: 0 },
    });
    const oldAfter = await call("GET", "/whoami", { token: str(rotated, "key") });
    const newest = await call("GET", "/whoami", { token: str(again, "key") });
    // Assess
    expect(rotated).toMatchObject({
      status: 201,
      body: { replaces: str(first, "keyId"), previous: { keyId: str(first, "keyId") } },
    });
    expect([oldDuring.status, newDuring.status]).toEqual([200, 200]);
    expect([again.status, oldAfter.status, newest.status]).toEqual([201, 401, 200]);
  });

  it("are refused at once when revoked, and the refusal is audited in the key's destination", async () => {
    // Prepare
    const issued = await issue();
    const keyId = str(issued, "keyId");
    await call("GET", "/whoami", { token: str(issued, "key") });
    // Act
    const revoked = await call("DELETE", `/destination/smes/${smeId}/keys/${keyId}`, {
      token: villamarAdmin,
    });
    const afterwards = await call("GET", "/whoami", { token: str(issued, "key") });
    const revokedAgain = await call("DELETE", `/destination/smes/${smeId}/keys/${keyId}`, {
      token: villamarAdmin,
    });
    const wrongSecret = await call("GET", "/whoami", { token: `${str(issued, "key").slice(0, -4)}0000` });
    const audit = await call("GET", "/destination/audit?limit=50", { token: villamarAdmin });
    // Assess
    expect([revoked.status, afterwards.status, revokedAgain.status, wrongSecret.status]).toEqual([
      204, 401, 204, 401,
    ]);
    expect(audit.body).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({
          actor: { kind: "sme", id: smeId, keyId },
          action: expect.objectContaining({ operationId: "authorize", resourceId: keyId }),
          outcome: { status: 401, code: "key-revoked" },
        }),
      ]),
    });
  });

  it("answer 429 with Retry-After once the key's per-minute limit is spent", async () => {
    // Prepare
    const issued = await issue({ rateLimitPerMinute: 3 });
    const key = str(issued, "key");
    // Act
    const statuses: number[] = [];
    let throttled: Answer | undefined;
    // Seven requests fill at least one minute window past its limit of three, wherever the minute turns.
    for (let n = 0; n < 7; n += 1) {
      const answer = await call("GET", "/whoami", { token: key });
      statuses.push(answer.status);
      if (answer.status === 429) throttled ??= answer;
    }
    // Assess
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    expect(Number(throttled?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(throttled?.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(throttled?.body).toMatchObject({ status: 429, code: "rate-limited" });
  });
});

describe("the audit log", () => {
  it("records every state change with who, what, where and outcome, chained and verifiable", async () => {
    // Prepare
    const viewer = await staff("villamar", ["viewer"], "villamar-viewer");
    const created = await call("POST", "/destination/smes", { token: villamarAdmin, body: sme("Audited") });
    await call("PATCH", `/destination/smes/${str(created, "id")}`, {
      token: viewer,
      body: { tradeName: "No" },
    });
    // Act
    const page = await call("GET", "/destination/audit?limit=200", { token: villamarAdmin });
    const verified = await call("GET", "/destination/audit/verify", { token: villamarAdmin });
    const asViewer = await call("GET", "/destination/audit", { token: viewer });
    // Assess
    expect(page.body).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({
          actor: { kind: "staff", id: "villamar-admin" },
          action: {
            operationId: "createSme",
            method: "POST",
            path: "/destination/smes",
            resourceId: str(created, "id"),
          },
          source: { ip: "127.0.0.1", userAgent: USER_AGENT },
          outcome: { status: 201 },
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
        expect.objectContaining({
          actor: { kind: "staff", id: "villamar-viewer" },
          action: expect.objectContaining({ operationId: "updateSme" }),
          outcome: { status: 403, code: "forbidden" },
        }),
      ]),
    });
    expect(verified).toMatchObject({ status: 200, body: { valid: true } });
    expect(Number(field(verified, "entries"))).toBeGreaterThan(3);
    expect(asViewer.status).toBe(403);
  });

  it("pages newest first within a time range", async () => {
    // Prepare
    const from = new Date(Date.now() - 15 * 60_000).toISOString();
    // Act
    const first = await call("GET", `/destination/audit?limit=2&from=${encodeURIComponent(from)}`, {
      token: villamarAdmin,
    });
    const second = await call(
      "GET",
      `/destination/audit?limit=2&from=${encodeURIComponent(from)}&cursor=${str(first, "nextCursor")}`,
      { token: villamarAdmin },
    );
    const future = await call("GET", `/destination/audit?from=${encodeURIComponent(inDays(1))}`, {
      token: villamarAdmin,
    });
    const badRange = await call(
      "GET",
      `/destination/audit?from=${encodeURIComponent(inDays(1))}&to=${encodeURIComponent(from)}`,
      {
        token: villamarAdmin,
      },
    );
    // Assess
    const Items = z.object({ items: z.array(z.object({ seq: z.number(), at: z.string() })) });
    const seqs = [...Items.parse(first.body).items, ...Items.parse(second.body).items].map((e) => e.seq);
    expect(seqs).toHaveLength(4);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    expect(Items.parse(future.body).items).toEqual([]);
    expect(badRange).toMatchObject({ status: 400, body: { errors: [{ field: "query.from" }] } });
  });
});

describe("the lifecycle of a destination", () => {
  const slug = `e2e-life-${crypto.randomUUID().slice(0, 6)}`;
  let staffToken: string;
  let key: string;

  beforeAll(async () => {
    await onboard(slug);
    staffToken = await staff(slug, ["admin"]);
    const created = await call("POST", "/destination/smes", { token: staffToken, body: sme("Lifecycle") });
    const issued = await call("POST", `/destination/smes/${str(created, "id")}/keys`, {
      token: staffToken,
      body: { scopes: ["context:read"], expiresAt: inDays(5) },
    });
    key = str(issued, "key");
  }, 90_000);

  it("reports a tampered audit entry at the first broken link", async () => {
    // Prepare
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: platform.summary.dynamodb }),
    );
    const table = `sdp-local-${slug}-tenants-audit`;
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :log",
        ExpressionAttributeValues: { ":log": "LOG" },
      }),
    );
    const target = z.object({ pk: z.string(), sk: z.string(), seq: z.number() }).parse(Items?.[0]);
    // Act
    await documents.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: target.pk, sk: target.sk },
        UpdateExpression: "SET outcome = :o",
        ExpressionAttributeValues: { ":o": { status: 200 } },
      }),
    );
    const verified = await call("GET", "/destination/audit/verify", { token: staffToken });
    // Assess
    expect(verified.body).toMatchObject({
      valid: false,
      firstBroken: { seq: target.seq, reason: "hash-mismatch" },
    });
  });

  it("suspends: every principal of it is refused within 5 s, a platform admin still reaches it, resume restores", async () => {
    // Act
    const suspended = await call("POST", `/platform/tenants/${slug}/suspend`, { token: admin() });
    const twice = await call("POST", `/platform/tenants/${slug}/suspend`, { token: admin() });
    const tokenRefused = await eventually(
      () => call("GET", "/destination/smes", { token: staffToken }),
      (answer) => answer.status === 403,
      15_000,
    );
    const keyRefused = await call("GET", "/whoami", { token: key });
    const platformAdmin = await call("GET", `/platform/tenants/${slug}`, { token: admin() });
    const resumed = await call("POST", `/platform/tenants/${slug}/resume`, { token: admin() });
    const back = await eventually(
      () => call("GET", "/whoami", { token: key }),
      (answer) => answer.status === 200,
      15_000,
    );
    // Assess
    expect([suspended.status, twice.status]).toEqual([200, 200]);
    expect(field(twice, "status")).toBe("suspended");
    expect([tokenRefused.status, keyRefused.status]).toEqual([403, 403]);
    expect(field(platformAdmin, "status")).toBe("suspended");
    expect([resumed.status, field(resumed, "status"), back.status]).toEqual([200, "active", 200]);
  });

  it("offboards: exports every table to an archive in the data directory, then deletes them", async () => {
    // Act
    const accepted = await call("DELETE", `/platform/tenants/${slug}`, { token: admin() });
    const early = await call("GET", `/platform/tenants/${slug}/export`, { token: admin() });
    const done = await eventually(
      () => call("GET", `/platform/tenants/${slug}`, { token: admin() }),
      (answer) => field(answer, "status") === "offboarded",
      60_000,
    );
    const again = await call("DELETE", `/platform/tenants/${slug}`, { token: admin() });
    const exported = await call("GET", `/platform/tenants/${slug}/export`, { token: admin() });
    // Principals of a departed destination are refused as soon as the authorizer's 5 s cache has turned.
    const keyAfter = await eventually(
      () => call("GET", "/whoami", { token: key }),
      (answer) => answer.status === 403,
      15_000,
    );
    // Assess
    expect(accepted).toMatchObject({ status: 202, body: { status: "offboarding" } });
    expect([200, 409]).toContain(early.status);
    expect(field(done, "status")).toBe("offboarded");
    expect(again.status).toBe(202);
    const location = str(exported, "location");
    const file = fileURLToPath(location);
    expect(file.startsWith(dataDir)).toBe(true);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(text).toContain(`sdp-local-${slug}-tenants-audit`);
    expect(text).toContain('"operationId":"offboardTenant"');
    const lines = text.trim().split("\n");
    expect(lines.length).toBe(Number(field(exported, "items")) + 1);
    const dynamodb = new DynamoDBClient({ endpoint: platform.summary.dynamodb });
    const described = await dynamodb
      .send(new DescribeTableCommand({ TableName: `sdp-local-${slug}-tenants-audit` }))
      .catch((error: unknown) => error);
    expect(described).toBeInstanceOf(ResourceNotFoundException);
    expect(keyAfter.status).toBe(403);
  });
});

describe("staff", () => {
  const email = `ana-${crypto.randomUUID().slice(0, 6)}@villamar.example`;
  const signIn = (password: string, who = email) =>
    call("POST", "/identity/token", { body: { email: who, password } });

  it("are invited by an administrator and sign in locally with the granted roles", async () => {
    // Act
    const invited = await call("POST", "/destination/staff", {
      token: villamarAdmin,
      body: { email, roles: ["viewer"] },
    });
    const password = str(invited, "temporaryPassword");
    const userId = z.object({ user: z.object({ userId: z.string() }) }).parse(invited.body).user.userId;
    const session = await signIn(password);
    const token = str(session, "id_token");
    const read = await call("GET", "/destination/smes", { token });
    const write = await call("POST", "/destination/smes", { token, body: sme("By viewer") });
    const promoted = await call("PUT", `/destination/staff/${userId}/roles`, {
      token: villamarAdmin,
      body: { roles: ["operator"] },
    });
    const operatorToken = str(await signIn(password), "id_token");
    const writeAsOperator = await call("POST", "/destination/smes", {
      token: operatorToken,
      body: sme("By operator"),
    });
    const listed = await call("GET", "/destination/staff", { token: villamarAdmin });
    const removed = await call("DELETE", `/destination/staff/${userId}`, { token: villamarAdmin });
    const afterRemoval = await signIn(password);
    // Assess
    expect(invited).toMatchObject({
      status: 201,
      body: { user: { email, roles: ["viewer"], status: "invited" } },
    });
    expect(session).toMatchObject({ status: 200, body: { token_type: "Bearer", expires_in: 3600 } });
    expect([read.status, write.status]).toEqual([200, 403]);
    expect(promoted).toMatchObject({ status: 200, body: { roles: ["operator"] } });
    expect(writeAsOperator.status).toBe(201);
    expect(listed.text).toContain(email);
    expect([removed.status, afterRemoval.status]).toEqual([204, 401]);
  });

  it("are refused a sign-in with a wrong password or a malformed request", async () => {
    // Act
    const wrong = await signIn("not-the-password", "nobody@villamar.example");
    const malformed = await call("POST", "/identity/token", { body: { email: "not-an-email" } });
    // Assess
    expect(wrong).toMatchObject({ status: 401, body: { code: "invalid-credentials" } });
    expect(malformed.status).toBe(400);
    expect(
      z
        .array(z.object({ field: z.string() }))
        .parse(field(malformed, "errors"))
        .map((e) => e.field),
    ).toEqual(expect.arrayContaining(["body.email", "body.password"]));
  });

  it("cannot be managed by anyone but an administrator", async () => {
    // Prepare
    const operator = await staff("villamar", ["operator"]);
    // Act
    const invite = await call("POST", "/destination/staff", {
      token: operator,
      body: { email: "x@y.example", roles: ["admin"] },
    });
    // Assess
    expect(invite.status).toBe(403);
  });
});

describe("tourists", () => {
  const email = `tourist-${crypto.randomUUID().slice(0, 6)}@mail.example`;
  const password = "Sunny-Beach-2030";
  const eventsReceived = async () => {
    const health = z
      .object({ components: z.object({ events: z.object({ stats: z.object({ received: z.number() }) }) }) })
      .parse(await (await fetch(platform.summary.health)).json());
    return health.components.events.stats.received;
  };

  it("sign up from the destination's app, sign in, consent, take their data and have it erased", async () => {
    // Prepare
    const before = await eventsReceived();
    // Act
    const signedUp = await call("POST", "/tourist/signup", {
      body: { destination: "villamar", email, password, language: "de" },
    });
    const touristId = str(signedUp, "touristId");
    const session = await call("POST", "/identity/token", {
      body: { email, password, destination: "villamar" },
    });
    const token = str(session, "id_token");
    const whoami = await call("GET", "/whoami", { token });
    const consent = await call("PUT", "/tourist/me/consents/marketing", {
      token,
      body: { granted: true, version: "2030-01" },
    });
    const profile = await call("GET", "/tourist/me", { token });
    const exported = await call("GET", "/tourist/me/export", { token });
    const staffOnly = await call("GET", "/destination/smes", { token });
    const erased = await call("DELETE", "/tourist/me", { token });
    const afterErase = await call("GET", "/tourist/me", { token });
    const signInAgain = await call("POST", "/identity/token", {
      body: { email, password, destination: "villamar" },
    });
    const announced = await eventually(eventsReceived, (received) => received > before, 10_000);
    // Assess
    expect(signedUp.status).toBe(201);
    expect(touristId).toMatch(/^tr_/);
    expect(whoami.body).toMatchObject({ principal: { kind: "tourist", id: touristId, tenant: "villamar" } });
    expect(whoami.text).not.toContain(email);
    expect(consent).toMatchObject({
      status: 200,
      body: { purpose: "marketing", granted: true, version: "2030-01" },
    });
    expect(profile.body).toMatchObject({
      touristId,
      language: "de",
      consents: [{ purpose: "marketing", version: "2030-01" }],
    });
    expect(exported.body).toMatchObject({
      destination: "villamar",
      profile: { email },
      consentHistory: [{ purpose: "marketing" }],
    });
    expect(staffOnly.status).toBe(403);
    expect([erased.status, afterErase.status, signInAgain.status]).toEqual([204, 404, 401]);
    expect(announced).toBeGreaterThan(before);
  });

  it("refuse a weak password or an unknown destination at sign-up", async () => {
    // Act
    const weak = await call("POST", "/tourist/signup", {
      body: { destination: "villamar", email, password: "short" },
    });
    const nowhere = await call("POST", "/tourist/signup", {
      body: { destination: "nowhere-town", email, password },
    });
    // Assess
    expect(weak).toMatchObject({
      status: 400,
      body: { errors: expect.arrayContaining([{ field: "body.password", reason: expect.any(String) }]) },
    });
    expect(nowhere.status).toBe(404);
  });
});
