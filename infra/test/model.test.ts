import { defineService, type ServiceManifest } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { functionSpecs, validateManifests } from "../lib/model";
import { catalogManifest, fakeManifests, ingestManifest } from "./support/stacks";

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
