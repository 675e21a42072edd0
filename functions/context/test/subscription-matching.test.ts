import { beforeAll, describe, expect, it } from "vitest";
import { bundledContextLoader } from "../src/adapters/bundled-contexts";
import { contextCache } from "../src/domain/contexts";
import type { ActiveContext } from "../src/domain/jsonld";
import type { Attribute, Entity } from "../src/domain/model";
import {
  compile,
  concerns,
  describeChange,
  type EntityChange,
  isActive,
  selects,
  throttledUntil,
  triggerFires,
} from "../src/subscriptions/matching";
import type { Subscription } from "../src/subscriptions/model";
import { parseSubscription, patchSubscription, watchedTypes } from "../src/subscriptions/parse";

const VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/";
const NOW = "2025-06-01T10:00:00.000Z";
const LATER = "2025-06-01T10:00:05.000Z";
const uid = () => crypto.randomUUID();
let ctx: ActiveContext;

beforeAll(async () => {
  ctx = await contextCache(bundledContextLoader).resolve("villamar", undefined);
});

const property = (value: number | string, modifiedAt = NOW): Attribute => ({
  type: "Property",
  value,
  createdAt: NOW,
  modifiedAt,
});

function beach(
  attrs: Record<string, Attribute[]>,
  id = `urn:ngsi-ld:Beach:${uid()}`,
  types = [`${VOCAB}Beach`],
): Entity {
  return { id, types, createdAt: NOW, modifiedAt: NOW, attrs };
}

function subscription(body: Record<string, unknown>): Subscription {
  return parseSubscription(
    {
      type: "Subscription",
      notification: { endpoint: { uri: "http://127.0.0.1:4100/notify" } },
      ...body,
    },
    { ctx, contextRef: undefined, tenant: "villamar", network: "private-allowed", now: NOW },
    uid,
  );
}

const T = (name: string) => `${VOCAB}${name}`;

function updated(before: Entity, after: Record<string, Attribute[]>): EntityChange {
  const change = describeChange(before, { ...before, attrs: after, modifiedAt: LATER }, LATER);
  if (!change) throw new Error("no change");
  return change;
}

describe("describing a change", () => {
  it("tells created, updated and deleted attributes apart, ignoring untouched ones", () => {
    // Prepare
    const before = beach({ [T("a")]: [property(1)], [T("b")]: [property(2)], [T("c")]: [property(3)] });
    // Act
    const change = updated(before, {
      [T("a")]: [property(1)],
      [T("b")]: [property(20, LATER)],
      [T("d")]: [property(4, LATER)],
    });
    // Assess
    expect(change.kind).toBe("updated");
    expect(change.attributes).toEqual({ created: [T("d")], updated: [T("b")], deleted: [T("c")] });
  });

  it("counts an update with the same value as an update (the attribute was written again)", () => {
    // Prepare
    const before = beach({ [T("a")]: [property(1)] });
    // Act
    const change = updated(before, { [T("a")]: [property(1, LATER)] });
    // Assess
    expect(change.attributes.updated).toEqual([T("a")]);
  });

  it("counts a dataset that disappeared as a deletion, the datasets that changed as an update", () => {
    // Prepare
    const french = (value: string, modifiedAt = NOW): Attribute => ({
      ...property(value, modifiedAt),
      datasetId: "urn:ngsi-ld:Dataset:french",
    });
    const before = beach({ [T("name")]: [property("Norte"), french("Nord")] });
    // Act
    const dropped = updated(before, { [T("name")]: [property("Norte")] });
    const droppedAndChanged = updated(before, { [T("name")]: [property("North", LATER)] });
    const onlyChanged = updated(before, { [T("name")]: [property("Norte"), french("Le Nord", LATER)] });
    // Assess
    expect(dropped.attributes).toEqual({ created: [], updated: [], deleted: [T("name")] });
    expect(droppedAndChanged.attributes).toEqual({ created: [], updated: [T("name")], deleted: [T("name")] });
    expect(onlyChanged.attributes).toEqual({ created: [], updated: [T("name")], deleted: [] });
  });

  it("describes creation and deletion", () => {
    // Prepare
    const entity = beach({ [T("a")]: [property(1)] });
    // Act
    const created = describeChange(undefined, entity, NOW);
    const deleted = describeChange(entity, undefined, LATER);
    // Assess
    expect(created).toMatchObject({ kind: "created", attributes: { created: [T("a")] } });
    expect(deleted).toMatchObject({ kind: "deleted", entity, at: LATER, attributes: { deleted: [T("a")] } });
    expect(describeChange(undefined, undefined, NOW)).toBeUndefined();
  });
});

describe("notification triggers", () => {
  const before = beach({ [T("temperature")]: [property(20)], [T("name")]: [property("Norte")] });
  const creation = () => {
    const change = describeChange(undefined, before, NOW);
    if (!change) throw new Error("no change");
    return change;
  };
  const deletion = () => {
    const change = describeChange(before, undefined, NOW);
    if (!change) throw new Error("no change");
    return change;
  };

  it("defaults to attributeCreated and attributeUpdated: creation and updates notify, deletions do not", () => {
    // Prepare
    const s = subscription({ entities: [{ type: "Beach" }] });
    // Act
    const fires = [
      triggerFires(s, creation()),
      triggerFires(s, updated(before, { ...before.attrs, [T("temperature")]: [property(21, LATER)] })),
      triggerFires(s, updated(before, { [T("name")]: [property("Norte")] })),
      triggerFires(s, deletion()),
    ];
    // Assess
    expect(s.notificationTrigger).toEqual(["attributeCreated", "attributeUpdated"]);
    expect(fires).toEqual([true, true, false, false]);
  });

  it.each([
    ["entityCreated", [true, false, false, false]],
    ["entityUpdated", [false, true, true, false]],
    ["entityDeleted", [false, false, false, true]],
    ["attributeCreated", [true, false, false, false]],
    ["attributeUpdated", [false, true, false, false]],
    ["attributeDeleted", [false, false, true, true]],
  ])(
    "%s fires for exactly its kind of change (deleting an entity deletes its attributes)",
    (trigger, expected) => {
      // Prepare
      const s = subscription({ entities: [{ type: "Beach" }], notificationTrigger: [trigger] });
      // Act
      const fires = [
        triggerFires(s, creation()),
        triggerFires(s, updated(before, { ...before.attrs, [T("temperature")]: [property(21, LATER)] })),
        triggerFires(s, updated(before, { [T("name")]: [property("Norte")] })),
        triggerFires(s, deletion()),
      ];
      // Assess
      expect(fires).toEqual(expected);
    },
  );

  it("fires only for changes of watched attributes", () => {
    // Prepare
    const s = subscription({ entities: [{ type: "Beach" }], watchedAttributes: ["temperature"] });
    // Act
    const temperature = triggerFires(
      s,
      updated(before, { ...before.attrs, [T("temperature")]: [property(21, LATER)] }),
    );
    const name = triggerFires(s, updated(before, { ...before.attrs, [T("name")]: [property("Sur", LATER)] }));
    // Assess
    expect([temperature, name]).toEqual([true, false]);
  });
});

describe("selecting entities", () => {
  it("matches type, id and idPattern selectors", () => {
    // Prepare
    const byPattern = compile(
      subscription({ entities: [{ type: "Beach", idPattern: "^urn:ngsi-ld:Beach:n" }] }),
      ctx,
    );
    const byId = compile(subscription({ entities: [{ type: "Beach", id: "urn:ngsi-ld:Beach:x" }] }), ctx);
    const byType = compile(subscription({ entities: [{ type: "Museum" }] }), ctx);
    // Act
    const north = beach({}, "urn:ngsi-ld:Beach:norte");
    const x = beach({}, "urn:ngsi-ld:Beach:x");
    // Assess
    expect([selects(byPattern, north), selects(byPattern, x)]).toEqual([true, false]);
    expect([selects(byId, north), selects(byId, x)]).toEqual([false, true]);
    expect(selects(byType, north)).toBe(false);
  });

  it("evaluates q against the entity after the change", () => {
    // Prepare
    const s = compile(subscription({ entities: [{ type: "Beach" }], q: "temperature>25" }), ctx);
    // Act
    const warm = selects(s, beach({ [T("temperature")]: [property(26)] }));
    const cold = selects(s, beach({ [T("temperature")]: [property(18)] }));
    // Assess
    expect([warm, cold]).toEqual([true, false]);
  });

  it("evaluates geoQ with the geo-query engine", () => {
    // Prepare
    const s = compile(
      subscription({
        entities: [{ type: "Beach" }],
        geoQ: { georel: "near;maxDistance==2000", geometry: "Point", coordinates: [-0.3255, 39.4786] },
      }),
      ctx,
    );
    const at = (lon: number, lat: number) =>
      beach({
        "https://uri.etsi.org/ngsi-ld/location": [
          { type: "GeoProperty", value: { type: "Point", coordinates: [lon, lat] } },
        ],
      });
    // Act
    const near = selects(s, at(-0.3266, 39.4688));
    const far = selects(s, at(-3.7038, 40.4168));
    // Assess
    expect([near, far]).toEqual([true, false]);
  });

  it("watches the candidate types of its selectors, or every type without selectors", () => {
    // Prepare
    const typed = subscription({ entities: [{ type: "Beach,Museum" }, { type: "(Beach;Protected)" }] });
    const untyped = subscription({ watchedAttributes: ["temperature"] });
    // Assess
    expect(watchedTypes(typed).sort()).toEqual([T("Beach"), T("Museum")]);
    expect(watchedTypes(untyped)).toEqual(["*"]);
  });
});

describe("activity, expiry and throttling", () => {
  it("a paused or expired subscription concerns no change", () => {
    // Prepare
    const entity = beach({ [T("temperature")]: [property(20)] });
    const change = describeChange(undefined, entity, NOW);
    if (!change) throw new Error("no change");
    const active = subscription({ entities: [{ type: "Beach" }], expiresAt: "2099-01-01T00:00:00Z" });
    const paused = subscription({ entities: [{ type: "Beach" }], isActive: false });
    const expiring = subscription({ entities: [{ type: "Beach" }], expiresAt: "2025-06-01T10:00:01Z" });
    // Act
    const results = [active, paused].map((s) => concerns(compile(s, ctx), change, NOW));
    // Assess
    expect(results).toEqual([true, false]);
    expect(isActive(expiring, NOW)).toBe(true);
    expect(isActive(expiring, LATER)).toBe(false);
  });

  it("a periodic subscription is not notified of changes", () => {
    // Prepare
    const entity = beach({ [T("temperature")]: [property(20)] });
    const change = describeChange(undefined, entity, NOW);
    if (!change) throw new Error("no change");
    const periodic = subscription({ entities: [{ type: "Beach" }], timeInterval: 60 });
    // Assess
    expect(concerns(compile(periodic, ctx), change, NOW)).toBe(false);
  });

  it("a throttled subscription may be notified again once its throttling has passed", () => {
    // Prepare
    const s = subscription({ entities: [{ type: "Beach" }], throttling: 10 });
    // Act
    const until = throttledUntil(s, NOW);
    // Assess
    expect(until).toBe(Date.parse(NOW) + 10_000);
    expect(throttledUntil(subscription({ entities: [{ type: "Beach" }] }), NOW)).toBeUndefined();
  });
});

describe("subscription payloads", () => {
  const write = () => ({
    ctx,
    contextRef: undefined,
    tenant: "villamar",
    network: "private-allowed" as const,
    now: NOW,
  });

  /** A subscription to beaches with these notification parameters. */
  const notifying = (params: Record<string, unknown>) => ({
    entities: [{ type: "Beach" }],
    notification: { endpoint: { uri: "http://127.0.0.1:4100/" }, ...params },
  });

  it.each([
    [{ notification: { endpoint: { uri: "http://127.0.0.1/" } } }, /needs entities or watchedAttributes/],
    [
      { entities: [{ type: "Beach" }], watchedAttributes: ["a"], timeInterval: 5 },
      /cannot have watchedAttributes/,
    ],
    [{ entities: [{ type: "Beach" }], throttling: 5, timeInterval: 5 }, /cannot have throttling/],
    [{ entities: [{ type: "Beach" }], expiresAt: "2020-01-01T00:00:00Z" }, /must be in the future/],
    [{ entities: [{ type: "Beach" }], q: "temperature>" }, /body.q/],
    [{ entities: [{ type: "Beach(" }] }, /body.entities.0.type/],
    [{ entities: [{ type: "Beach" }], throttling: -1 }, /body.throttling/],
    [{ entities: [{ type: "Beach" }], notificationTrigger: ["entityExploded"] }, /body.notificationTrigger/],
    [{ entities: [{ type: "Beach" }], unknownMember: 1 }, /unknownMember/],
    [{ id: "not a uri", entities: [{ type: "Beach" }] }, /body.id: must be a URI/],
    [{ entities: [{ type: "Beach", idPattern: "^(a+)+$" }] }, /must not nest quantifiers/],
    [
      { entities: [{ type: "Beach" }], notification: { endpoint: { uri: "http://169.254.169.254/" } } },
      /metadata/,
    ],
    [notifying({ pick: ["id"], omit: ["id"] }), /notification.pick: pick and omit cannot be used together/],
    [notifying({ pick: ["id"], attributes: ["name"] }), /notification.pick: .*with attributes/],
    [notifying({ omit: ["id"], attributes: ["name"] }), /notification.omit: .*with attributes/],
    [notifying({ pick: [] }), /body.notification.pick/],
    [notifying({ omit: [] }), /body.notification.omit/],
    [notifying({ pick: ["id", "locatedAt{name}"] }), /notification.pick.1: .*need join/],
    [notifying({ omit: ["na(me"] }), /notification.omit.0: .*must not contain/],
  ])("refuses %j with BadRequestData naming the problem", (body, problem) => {
    // Act
    const attempt = () =>
      parseSubscription(
        { type: "Subscription", notification: { endpoint: { uri: "http://127.0.0.1:4100/" } }, ...body },
        write(),
        uid,
      );
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        status: 400,
        type: "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
        detail: expect.stringMatching(problem),
      }),
    );
  });

  it("patches members, removes them with null and keeps the id", () => {
    // Prepare
    const s = subscription({
      entities: [{ type: "Beach" }],
      q: "temperature>25",
      description: "warm beaches",
    });
    // Act
    const next = patchSubscription(
      s,
      { q: null, description: "all beaches", isActive: false, notification: { format: "keyValues" } },
      { ...write(), now: LATER },
    );
    // Assess
    expect(next).toMatchObject({ id: s.id, description: "all beaches", isActive: false, modifiedAt: LATER });
    expect(next.q).toBeUndefined();
    expect(next.notification).toMatchObject({ format: "keyValues", endpoint: s.notification.endpoint });
    expect(() => patchSubscription(s, { id: "urn:ngsi-ld:Subscription:other" }, write())).toThrow(
      /cannot change/,
    );
  });

  it("expands the members of pick and omit, replaces them in a patch and removes them with null", () => {
    // Prepare
    const s = subscription(notifying({ pick: ["id", "temperature|name", "scope"] }));
    // Act
    const omitting = patchSubscription(s, { notification: { pick: null, omit: ["type"] } }, write());
    const cleared = patchSubscription(omitting, { notification: { omit: null } }, write());
    const conflicting = () =>
      patchSubscription(omitting, { notification: { attributes: ["temperature"] } }, write());
    // Assess
    expect(s.notification.pick).toEqual(["id", `${VOCAB}temperature`, `${VOCAB}name`, "scope"]);
    expect(omitting.notification).toMatchObject({ omit: ["type"] });
    expect(omitting.notification.pick).toBeUndefined();
    expect(cleared.notification.omit).toBeUndefined();
    expect(conflicting).toThrow(/body.notification.omit: omit cannot be used together with attributes/);
  });
});
