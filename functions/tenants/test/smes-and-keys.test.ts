import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "@sdp/aws";
import { ApiKeyTable, parseApiKey, verifyApiKeySecret } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { ApiKeys } from "../src/domain/api-keys";
import { Smes } from "../src/domain/smes";
import { smeRequest, smeWorld, uniqueSlug } from "./support";

/** A promise's rejection (or undefined), captured at once so no rejection goes unhandled meanwhile. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const inADay = () => new Date(Date.now() + 86_400_000).toISOString();
const issueRequest = { scopes: ["context:read" as const], expiresAt: inADay(), rateLimitPerMinute: 60 };

describe("SMEs of a destination", () => {
  it("registers, reads, pages, updates and removes an SME", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    // Act
    const created = await Smes.create(deps, slug, smeRequest({ taxId: "b-123.456 78" }));
    const second = await Smes.create(deps, slug, smeRequest());
    const firstPage = await Smes.list(deps, slug, 1);
    const secondPage = await Smes.list(deps, slug, 1, firstPage.nextCursor);
    const updated = await Smes.update(deps, slug, created.id, { tradeName: "Mar Azul" });
    await Smes.remove(deps, slug, second.id, "staff:u1");
    // Assess
    expect(created).toMatchObject({
      id: expect.stringMatching(/^sme_/),
      taxId: "B-12345678",
      category: "accommodation",
    });
    expect([...firstPage.items, ...secondPage.items].map((s) => s.id).sort()).toEqual(
      [created.id, second.id].sort(),
    );
    expect(updated).toMatchObject({ tradeName: "Mar Azul", legalName: created.legalName });
    expect(await Smes.get(deps, slug, created.id)).toEqual(updated);
    await expect(Smes.get(deps, slug, second.id)).rejects.toMatchObject({ status: 404 });
  });

  it("never shows one destination's SME to another, even by id or forged cursor", async () => {
    // Prepare
    const { deps, slug, tenants } = await smeWorld();
    const other = uniqueSlug();
    await tenants.insert({
      slug: other,
      name: "O",
      defaultLanguage: "es",
      languages: ["es"],
      currency: "EUR",
      timeZone: "UTC",
      tier: "standard",
      status: "active",
      resources: [],
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const sme = await Smes.create(deps, slug, smeRequest());
    const page = await Smes.list(deps, slug, 1);
    // Act
    const byId = failure(Smes.get(deps, other, sme.id));
    const update = failure(Smes.update(deps, other, sme.id, { tradeName: "Hijacked" }));
    const removal = failure(Smes.remove(deps, other, sme.id, "staff:x"));
    const listed = await Smes.list(deps, other, 10, page.nextCursor);
    // Assess
    expect(await byId).toMatchObject({ status: 404 });
    expect(await update).toMatchObject({ status: 404 });
    expect(await removal).toMatchObject({ status: 404 });
    expect(listed.items).toEqual([]);
    expect((await Smes.get(deps, slug, sme.id)).tradeName).toBeUndefined();
  });

  it("keeps tax ids unique per destination, also under concurrent registrations", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const request = smeRequest({ taxId: "B99999999" });
    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => Smes.create(deps, slug, request)),
    );
    // Assess
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const failure of results.filter((r) => r.status === "rejected")) {
      expect(failure.reason).toMatchObject({ status: 409, errors: [{ field: "body.taxId" }] });
    }
    expect((await Smes.list(deps, slug, 10)).items).toHaveLength(1);
  });

  it("frees the old tax id when an SME changes it, and refuses taking another SME's", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const a = await Smes.create(deps, slug, smeRequest({ taxId: "A1111" }));
    const b = await Smes.create(deps, slug, smeRequest({ taxId: "B2222" }));
    // Act
    // Awaited in order: the refusal must happen while A1111 still belongs to a.
    const taken = await failure(Smes.update(deps, slug, b.id, { taxId: "A1111" }));
    await Smes.update(deps, slug, a.id, { taxId: "C3333" });
    const reused = await Smes.create(deps, slug, smeRequest({ taxId: "A1111" }));
    // Assess
    expect(taken).toMatchObject({ status: 409, code: "tax-id-taken" });
    expect(reused.taxId).toBe("A1111");
  });

  it("refuses registering in a destination that does not exist or is not active", async () => {
    // Prepare
    const { deps, slug, tenants } = await smeWorld();
    await tenants.transition(slug, "active", "suspended", {});
    // Act
    const suspended = failure(Smes.create(deps, slug, smeRequest()));
    const unknown = failure(Smes.create(deps, "nowhere-town", smeRequest()));
    // Assess
    expect(await suspended).toMatchObject({ status: 409 });
    expect(await unknown).toMatchObject({ status: 404 });
  });
});

describe("API keys of an SME", () => {
  it("issues a key shown once and stores only its keyed hash", async () => {
    // Prepare
    const { deps, slug, tables } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    // Act
    const issued = await ApiKeys.issue(deps, slug, sme.id, { ...issueRequest, name: "POS" }, "staff:u1");
    const listed = await ApiKeys.list(deps, slug, sme.id);
    // Assess
    const parsed = parseApiKey(issued.key);
    expect(parsed).toMatchObject({ env: "test", keyId: issued.keyId });
    expect(issued).toMatchObject({
      prefix: `sdp_test_${issued.keyId}`,
      state: "active",
      scopes: ["context:read"],
      name: "POS",
    });
    expect(JSON.stringify(listed)).not.toContain(parsed?.secret ?? "x");
    expect(listed.items).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    const { Item } = await createDocumentClient().send(
      new GetCommand({ TableName: tables.apiKeys, Key: { pk: ApiKeyTable.keyPk(issued.keyId), sk: "KEY" } }),
    );
    expect(JSON.stringify(Item)).not.toContain(parsed?.secret ?? "x");
    expect(verifyApiKeySecret(deps.pepper, issued.keyId, parsed?.secret ?? "", String(Item?.hash))).toBe(
      true,
    );
    expect(
      verifyApiKeySecret(
        "another-pepper-of-at-least-32-chars!!",
        issued.keyId,
        parsed?.secret ?? "",
        String(Item?.hash),
      ),
    ).toBe(false);
  });

  it("refuses keys for an SME of another destination or one that is gone", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    await Smes.remove(deps, slug, sme.id, "staff:u1");
    // Act
    const gone = failure(ApiKeys.issue(deps, slug, sme.id, issueRequest, "staff:u1"));
    const elsewhere = failure(ApiKeys.issue(deps, "elsewhere", sme.id, issueRequest, "staff:u1"));
    // Assess
    expect(await gone).toMatchObject({ status: 404 });
    expect(await elsewhere).toMatchObject({ status: 404 });
  });

  it("rotates with an overlap: the old key is limited, the new one inherits scopes and limits", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    const first = await ApiKeys.issue(
      deps,
      slug,
      sme.id,
      { ...issueRequest, scopes: ["loyalty:earn", "loyalty:redeem"] },
      "u",
    );
    // Act
    const rotated = await ApiKeys.rotate(deps, slug, sme.id, first.keyId, { overlapSeconds: 3600 }, "u");
    const again = failure(ApiKeys.rotate(deps, slug, sme.id, first.keyId, { overlapSeconds: 3600 }, "u"));
    const listed = await ApiKeys.list(deps, slug, sme.id);
    // Assess
    expect(rotated).toMatchObject({
      replaces: first.keyId,
      scopes: ["loyalty:earn", "loyalty:redeem"],
      rateLimitPerMinute: 60,
    });
    expect(rotated.previous?.keyId).toBe(first.keyId);
    expect(Date.parse(rotated.previous?.validUntil ?? "") - Date.now()).toBeGreaterThan(3500_000);
    expect(await again).toMatchObject({ status: 409 });
    expect(listed.items.find((k) => k.keyId === first.keyId)).toMatchObject({
      replacedBy: rotated.keyId,
      state: "active",
    });
  });

  it("lets exactly one of concurrent rotations of the same key through", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    const key = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        ApiKeys.rotate(deps, slug, sme.id, key.keyId, { overlapSeconds: 60 }, "u"),
      ),
    );
    // Assess
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await ApiKeys.list(deps, slug, sme.id)).items).toHaveLength(2);
  });

  it("revokes idempotently, refuses another destination's key, and revokes every key with its SME", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    const one = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    const two = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    // Act
    const foreign = failure(ApiKeys.revoke(deps, "elsewhere", sme.id, one.keyId, "u"));
    await ApiKeys.revoke(deps, slug, sme.id, one.keyId, "u");
    await ApiKeys.revoke(deps, slug, sme.id, one.keyId, "u");
    await Smes.remove(deps, slug, sme.id, "staff:admin");
    // Assess
    expect(await foreign).toMatchObject({ status: 404 });
    const records = await Promise.all([deps.keys.get(one.keyId), deps.keys.get(two.keyId)]);
    expect(records.map((r) => r?.revokedAt !== undefined)).toEqual([true, true]);
  });

  it("never lets a key outlive its SME: one issued during the removal fails the removal, an update keeps the count", async () => {
    // Prepare
    const { deps, slug, smes } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    const first = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    const seen = await smes.issuedKeys(slug, sme.id);
    const late = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    // Act
    const staleRemoval = await smes.remove(slug, sme, [first.keyId], new Date().toISOString(), "u", seen);
    await Smes.update(deps, slug, sme.id, { tradeName: "Renamed" });
    await Smes.remove(deps, slug, sme.id, "staff:admin");
    // Assess
    expect([seen, staleRemoval]).toEqual([1, false]);
    const records = await Promise.all([deps.keys.get(first.keyId), deps.keys.get(late.keyId)]);
    expect(records.map((r) => r?.revokedAt !== undefined)).toEqual([true, true]);
  });

  it("refuses a rotation of a revoked or expired key", async () => {
    // Prepare
    const { deps, slug } = await smeWorld();
    const sme = await Smes.create(deps, slug, smeRequest());
    const key = await ApiKeys.issue(deps, slug, sme.id, issueRequest, "u");
    await ApiKeys.revoke(deps, slug, sme.id, key.keyId, "u");
    // Act
    const attempt = failure(ApiKeys.rotate(deps, slug, sme.id, key.keyId, { overlapSeconds: 60 }, "u"));
    // Assess
    expect(await attempt).toMatchObject({ status: 409, detail: expect.stringMatching(/revoked/) });
  });
});
