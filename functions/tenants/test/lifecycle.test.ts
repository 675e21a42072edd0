import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoDbClient } from "@sdp/aws";
import { type DestinationTemplate, TenantExport } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildDynamoDbProvisioner } from "../src/adapters/dynamodb-provisioner";
import { buildDynamoDbTableReader } from "../src/adapters/dynamodb-table-reader";
import { buildDynamoDbTenantStore } from "../src/adapters/dynamodb-tenant-store";
import { buildFileArchiveStore } from "../src/adapters/file-archive-store";
import { buildS3ArchiveStore } from "../src/adapters/s3-archive-store";
import type { ArchiveStore } from "../src/domain/ports";
import { type OffboardingDeps, Tenant } from "../src/domain/tenant";
import { freshPlatformTables, uniqueSlug } from "./support";

const template: DestinationTemplate = {
  version: 1,
  tables: [
    { service: "svc", purpose: "", partitionKey: { name: "pk", type: "S" } },
    {
      service: "svc",
      purpose: "audit",
      partitionKey: { name: "pk", type: "S" },
      sortKey: { name: "sk", type: "S" },
    },
  ],
};

const request = (slug: string) => ({
  slug,
  name: "Leaving town",
  defaultLanguage: "es",
  languages: ["es"],
  currency: "EUR",
  timeZone: "UTC",
  tier: "standard" as const,
});

async function world(archive?: ArchiveStore) {
  const tables = await freshPlatformTables();
  const stage = `s${crypto.randomUUID().slice(0, 6)}`;
  const store = buildDynamoDbTenantStore(createDocumentClient(), tables.registry);
  const provisioner = buildDynamoDbProvisioner(createDynamoDbClient(), template, stage);
  const dir = await mkdtemp(join(tmpdir(), "sdp-archive-"));
  const deps: OffboardingDeps = {
    store,
    provisioner,
    tables: buildDynamoDbTableReader(createDocumentClient()),
    archive: archive ?? buildFileArchiveStore(dir),
  };
  const slug = uniqueSlug();
  await Tenant.create(deps, request(slug));
  await Tenant.provision(deps, slug);
  return { deps, slug, stage, dir };
}

const ArchiveLine = z.union([
  z.object({ type: z.literal("header"), destination: z.string(), tables: z.array(z.string()) }),
  z.object({ type: z.literal("item"), table: z.string(), item: z.record(z.string(), z.unknown()) }),
]);

describe("destination lifecycle", () => {
  it("suspends and resumes idempotently, and answers an unknown destination with 404", async () => {
    // Prepare
    const { deps, slug } = await world();
    // Act
    const suspended = await Tenant.suspend(deps, slug);
    const again = await Tenant.suspend(deps, slug);
    const resumed = await Tenant.resume(deps, slug);
    const resumedAgain = await Tenant.resume(deps, slug);
    const unknown = await Tenant.suspend(deps, "nowhere-town").catch((error: unknown) => error);
    // Assess
    expect([suspended.status, again.status, resumed.status, resumedAgain.status]).toEqual([
      "suspended",
      "suspended",
      "active",
      "active",
    ]);
    expect(unknown).toMatchObject({ status: 404 });
  });

  it("offboards: exports every table to one JSON Lines archive, deletes the tables, and is safe to run again", async () => {
    // Prepare
    const { deps, slug, stage } = await world();
    const client = createDocumentClient();
    const main = `sdp-${stage}-${slug}-svc`;
    const audit = `sdp-${stage}-${slug}-svc-audit`;
    await client.send(
      new PutCommand({ TableName: main, Item: { pk: "a", tags: new Set(["x", "y"]), n: 3 } }),
    );
    await client.send(new PutCommand({ TableName: audit, Item: { pk: "LOG", sk: "1", what: "created" } }));
    await client.send(new PutCommand({ TableName: audit, Item: { pk: "LOG", sk: "2", what: "changed" } }));
    // Act
    const accepted = await Tenant.offboard(deps, slug);
    await Tenant.runOffboarding(deps, slug);
    await Tenant.runOffboarding(deps, slug);
    const offboardedAgain = await Tenant.offboard(deps, slug);
    const archive = await Tenant.exportOf(deps, slug);
    // Assess
    expect(accepted.status).toBe("offboarding");
    expect(offboardedAgain.status).toBe("offboarded");
    expect(TenantExport.parse(archive)).toMatchObject({
      format: "application/jsonl",
      items: 3,
      tables: [
        { name: main, items: 1 },
        { name: audit, items: 2 },
      ],
    });
    const lines = (await readFile(fileURLToPath(archive.location), "utf8")).trim().split("\n");
    const parsed = lines.map((line) => ArchiveLine.parse(JSON.parse(line)));
    expect(parsed[0]).toMatchObject({ type: "header", destination: slug, tables: [main, audit] });
    expect(parsed.slice(1)).toContainEqual({
      type: "item",
      table: main,
      item: { pk: "a", tags: ["x", "y"], n: 3 },
    });
    expect(await deps.provisioner.tables(slug)).toEqual([]);
    expect((await deps.store.get(slug))?.resources).toEqual([]);
  });

  it("resumes an interrupted offboarding after the export without exporting again", async () => {
    // Prepare
    let writes = 0;
    const dir = await mkdtemp(join(tmpdir(), "sdp-archive-"));
    const files = buildFileArchiveStore(dir);
    const counting: ArchiveStore = {
      write: (key, lines) => {
        writes += 1;
        return files.write(key, lines);
      },
    };
    const { deps, slug } = await world(counting);
    await Tenant.offboard(deps, slug);
    const failing: OffboardingDeps = {
      ...deps,
      provisioner: {
        ...deps.provisioner,
        deprovision: async () => {
          throw new Error("throttled");
        },
      },
    };
    // Act
    const first = await Tenant.runOffboarding(failing, slug).catch((error: unknown) => error);
    const between = await deps.store.get(slug);
    await Tenant.runOffboarding(deps, slug);
    // Assess
    expect(first).toBeInstanceOf(Error);
    expect(between).toMatchObject({ status: "offboarding", export: expect.objectContaining({ items: 0 }) });
    expect(writes).toBe(1);
    expect((await deps.store.get(slug))?.status).toBe("offboarded");
  });

  it("refuses to offboard a destination still being provisioned, and reports a missing export", async () => {
    // Prepare
    const tables = await freshPlatformTables();
    const store = buildDynamoDbTenantStore(createDocumentClient(), tables.registry);
    const slug = uniqueSlug();
    await Tenant.create({ store }, request(slug));
    // Act
    const offboard = await Tenant.offboard({ store }, slug).catch((error: unknown) => error);
    const exported = await Tenant.exportOf({ store }, slug).catch((error: unknown) => error);
    // Assess
    expect(offboard).toMatchObject({ status: 409 });
    expect(exported).toMatchObject({ status: 409, code: "export-not-ready" });
  });
});

describe("the S3 archive store", () => {
  it("puts the archive as one object with its SHA-256, and names it by s3 URL", async () => {
    // Prepare
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        return {};
      },
    } as unknown as S3Client;
    async function* lines() {
      yield '{"type":"header"}\n';
      yield '{"type":"item"}\n';
    }
    // Act
    const result = await buildS3ArchiveStore(client, "sdp-prod-archives").write("villamar/x.jsonl", lines());
    // Assess
    expect(sent).toHaveLength(1);
    const [command] = sent;
    expect(command).toBeInstanceOf(PutObjectCommand);
    const input = (command as PutObjectCommand).input;
    const body = '{"type":"header"}\n{"type":"item"}\n';
    expect(input).toMatchObject({
      Bucket: "sdp-prod-archives",
      Key: "villamar/x.jsonl",
      ContentType: "application/jsonl",
      ServerSideEncryption: "aws:kms",
    });
    expect(Buffer.from(input.Body as Uint8Array).toString("utf8")).toBe(body);
    const digest = (await import("node:crypto")).createHash("sha256").update(body).digest();
    expect(input.ChecksumSHA256).toBe(digest.toString("base64"));
    expect(result).toEqual({
      location: "s3://sdp-prod-archives/villamar/x.jsonl",
      bytes: body.length,
      sha256: digest.toString("hex"),
    });
  });
});

describe("the file archive store", () => {
  it("refuses a key that would leave its directory", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "sdp-archive-"));
    async function* lines() {
      yield "x\n";
    }
    // Act
    const attempt = await buildFileArchiveStore(dir)
      .write("../escape.jsonl", lines())
      .catch((error: unknown) => error);
    // Assess
    expect(attempt).toBeInstanceOf(Error);
  });
});
