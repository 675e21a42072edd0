import { defineService, type HandlerRef, type ServiceManifest } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { functionSpecs, validateManifests } from "../lib/model";
import { catalogManifest, fakeManifests, gatekeeperManifest, ingestManifest } from "./support/stacks";

/** A handler as a JavaScript manifest could write it, past the type checker. */
function untypedHandler(value: unknown): HandlerRef {
  const isHandlerRef = (v: unknown): v is HandlerRef =>
    typeof v === "object" && v !== null && "file" in v && "export" in v;
  if (!isHandlerRef(value)) throw new Error("not a handler");
  return value;
}

const withChange = (manifest: ServiceManifest, change: Partial<ServiceManifest>): ServiceManifest => ({
  ...manifest,
  ...change,
});

describe("function specs", () => {
  it("name functions sdp-<stage>-<service>-<file>, with the export when it is not `handler`", () => {
    // Prepare
    const manifest = defineService({
      service: "svc",
      description: "",
      schedules: [
        {
          name: "a",
          rate: "rate(1 hour)",
          handler: { file: "functions/svc/src/jobs.ts", export: "nightly" },
        },
        {
          name: "b",
          rate: "rate(1 day)",
          handler: { file: "functions/svc/src/sweep.ts", export: "handler" },
        },
      ],
    });
    // Act
    const names = [...functionSpecs([manifest], "dev").values()].map((spec) => spec.name);
    // Assess
    expect(names).toEqual(["sdp-dev-svc-jobs-nightly", "sdp-dev-svc-sweep"]);
  });

  it("keep names unique and within Lambda's 64 characters", () => {
    // Prepare
    const long = "a-very-long-handler-file-name-that-goes-on-and-on-and-on";
    const manifest = defineService({
      service: "svc",
      description: "",
      schedules: [
        {
          name: "a",
          rate: "rate(1 hour)",
          handler: { file: "functions/svc/src/http/create.ts", export: "handler" },
        },
        {
          name: "b",
          rate: "rate(1 hour)",
          handler: { file: "functions/svc/src/events/create.ts", export: "handler" },
        },
        {
          name: "c",
          rate: "rate(1 hour)",
          handler: { file: `functions/svc/src/${long}.ts`, export: "handler" },
        },
      ],
    });
    // Act
    const names = [...functionSpecs([manifest], "dev").values()].map((spec) => spec.name);
    // Assess
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
    expect(names[0]).toMatch(/^sdp-dev-svc-create-[0-9a-f]{8}$/);
  });

  it("give a handler the union of the capabilities of its declarations, and what it consumes and serves", () => {
    // Prepare
    const file = "functions/svc/src/jobs.ts";
    const manifest = defineService({
      service: "svc",
      description: "",
      routes: [
        {
          operationId: "read",
          summary: "",
          method: "GET",
          path: "/x",
          auth: { mode: "none" },
          handler: { file, export: "handler", capabilities: ["manage-staff"] },
          responses: {},
        },
        {
          operationId: "write",
          summary: "",
          method: "PATCH",
          path: "/x",
          auth: { mode: "none" },
          handler: { file, export: "handler", capabilities: ["publish-mqtt"] },
          responses: {},
        },
      ],
      streamConsumers: [
        {
          name: "c",
          source: { kind: "kinesis", service: "ingest", streamPurpose: "observations" },
          handler: { file, export: "handler" },
        },
      ],
    });
    // Act
    const [spec] = [...functionSpecs([manifest, ingestManifest], "dev").values()];
    // Assess
    expect([...(spec?.capabilities ?? [])].sort()).toEqual(["manage-staff", "publish-mqtt"]);
    expect(spec?.servesStateChangingRoute).toBe(true);
    expect(spec?.consumesStreams).toBe(true);
    expect(spec?.consumedStreams).toEqual([{ service: "ingest", purpose: "observations" }]);
  });

  it("refuse a handler claimed by two services", () => {
    // Prepare
    const thief = defineService({
      service: "thief",
      description: "",
      schedules: [{ name: "x", rate: "rate(1 hour)", handler: catalogManifest.schedules[0].handler }],
    });
    // Act
    const build = () => functionSpecs([catalogManifest, thief], "dev");
    // Assess
    expect(build).toThrow(/declared by both catalog and thief/);
  });
});

describe("manifest validation", () => {
  it("accepts the fake manifests", () => {
    // Act + Assess
    expect(() => validateManifests(fakeManifests)).not.toThrow();
  });

  it.each([
    [
      "a consumer of an undeclared table",
      withChange(catalogManifest, {
        streamConsumers: [
          {
            ...catalogManifest.streamConsumers[0],
            source: { kind: "dynamodb", tablePurpose: "nope", scope: "platform" },
          },
        ],
      }),
      /no platform table with purpose "nope"/,
    ],
    [
      "a consumer of a table without a stream",
      withChange(catalogManifest, {
        streamConsumers: [
          {
            ...catalogManifest.streamConsumers[0],
            source: { kind: "dynamodb", tablePurpose: "history", scope: "tenant" },
          },
        ],
      }),
      /has no stream/,
    ],
    [
      "an undeclared on-failure queue",
      withChange(catalogManifest, {
        streamConsumers: [{ ...catalogManifest.streamConsumers[0], onFailureQueue: "missing" }],
      }),
      /no queue with purpose "missing"/,
    ],
    [
      "a schedule that is not a rate",
      withChange(catalogManifest, {
        schedules: [{ ...catalogManifest.schedules[0], rate: "cron(0 * * * ? *)" }],
      }),
      /not a rate expression/,
    ],
    [
      "an IoT rule without the tenant in its topic filter",
      withChange(ingestManifest, { iotRules: [{ ...ingestManifest.iotRules[0], topicFilter: "dt/+/#" }] }),
      /must contain \{tenant\}/,
    ],
    [
      "a consumer of a stream no service declares",
      withChange(catalogManifest, {
        streamConsumers: [
          {
            ...catalogManifest.streamConsumers[2],
            source: { kind: "kinesis", service: "ingest", streamPurpose: "nope" },
          },
        ],
      }),
      /manifest ingest: no Kinesis stream with purpose "nope"/,
    ],
    [
      "a consumer of an unknown service's stream",
      withChange(catalogManifest, {
        streamConsumers: [
          {
            ...catalogManifest.streamConsumers[2],
            source: { kind: "kinesis", service: "ghost", streamPurpose: "observations" },
          },
        ],
      }),
      /no service "ghost" declares its stream/,
    ],
    [
      "a read of an unknown service's table",
      withChange(gatekeeperManifest, {
        reads: [{ service: "ghost", tablePurpose: "index", scope: "platform", why: "x" }],
      }),
      /reads ghost\/index: no service "ghost"/,
    ],
    [
      "a read of a table the other service does not declare with that scope",
      withChange(gatekeeperManifest, {
        reads: [{ service: "catalog", tablePurpose: "index", scope: "tenant", why: "x" }],
      }),
      /manifest catalog: no tenant table with purpose "index"/,
    ],
    [
      "a read of the service's own table",
      withChange(catalogManifest, {
        reads: [{ service: "catalog", tablePurpose: "index", scope: "platform", why: "x" }],
      }),
      /reaches its own tables without declaring them/,
    ],
    [
      "an unknown capability",
      withChange(catalogManifest, {
        schedules: [
          {
            ...catalogManifest.schedules[0],
            handler: untypedHandler({
              file: "functions/catalog/src/handlers/expire.ts",
              export: "handler",
              capabilities: ["root"],
            }),
          },
        ],
      }),
      /unknown capability "root"/,
    ],
  ])("rejects %s", (_, manifest, message) => {
    // Prepare
    const manifests = fakeManifests.map((m) => (m.service === manifest.service ? manifest : m));
    // Act
    const validate = () => validateManifests(manifests);
    // Assess
    expect(validate).toThrow(message);
  });

  it("rejects authorized routes when no manifest hosts the authorizer", () => {
    // Prepare
    const manifests = fakeManifests.filter((m) => !m.authorizer);
    // Act
    const validate = () => validateManifests(manifests);
    // Assess
    expect(validate).toThrow(/needs the authorizer/);
  });
});
