import { createDocumentClient, createDynamoDbClient } from "@sdp/aws";
import { describe, expect, it } from "vitest";
import {
  credentialsTableName,
  openDeviceCredentialStore,
} from "../../../packages/local-runtime/src/devices/credential-store";
import { buildLocalBrokerIdentityProvider } from "../src/adapters/local-broker-identity";
import { Devices } from "../src/domain/devices";
import { crowdCounter, fakeIdentities, freshDestination, uniqueDevice } from "./support";

describe("the device registry against DynamoDB Local", () => {
  it("registers a device with its health, remembers the destination and lists it", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity } = fakeIdentities();
    const registration = crowdCounter();
    // Act
    const provisioned = await Devices.register(
      { ...destination, identity },
      destination.tenant,
      registration,
    );
    // Assess
    expect(provisioned.device.thingName).toBe(`${destination.tenant}_${registration.deviceId}`);
    expect(await destination.store.get(destination.tenant, registration.deviceId)).toEqual(
      provisioned.device,
    );
    expect((await Devices.list(destination, destination.tenant, 10)).items.map((d) => d.deviceId)).toEqual([
      registration.deviceId,
    ]);
    expect(await destination.health.get(destination.tenant, registration.deviceId)).toMatchObject({
      messageCount: 0,
      entityId: provisioned.device.entityId,
    });
    expect(await destination.destinations.list()).toEqual([destination.tenant]);
  });

  it("refuses a second device with the same id with 409 naming the field, and keeps the first", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity } = fakeIdentities();
    const registration = crowdCounter();
    await Devices.register({ ...destination, identity }, destination.tenant, registration);
    // Act
    const attempt = Devices.register({ ...destination, identity }, destination.tenant, {
      ...registration,
      entityType: "Beach",
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({
      status: 409,
      errors: [{ field: "body.deviceId", reason: "is already registered" }],
    });
    expect((await destination.store.get(destination.tenant, registration.deviceId))?.entityType).toBe(
      "CrowdFlowObserved",
    );
  });

  it("undoes the registration when the identity cannot be created", async () => {
    // Prepare
    const destination = await freshDestination();
    const registration = crowdCounter();
    const identity = {
      provision: async () => {
        throw new Error("IoT Core unavailable");
      },
      revoke: async () => undefined,
    };
    // Act
    const attempt = Devices.register({ ...destination, identity }, destination.tenant, registration);
    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 502 });
    expect(await destination.store.get(destination.tenant, registration.deviceId)).toBeUndefined();
  });

  it("imports CSV row by row: created rows and failed rows with their line and field", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity } = fakeIdentities();
    const [a, b] = [uniqueDevice(), uniqueDevice()];
    const csv = [
      "deviceId,protocol,entityType,latitude,longitude,attributes,staticAttributes,expectedIntervalSeconds",
      `${a},ul2,CrowdFlowObserved,36.72,-4.42,"c=peopleCount::C62:integer;b=batteryLevel::P1",name=Plaza Mayor;capacity=500,300`,
      `${b},lwm2m,CrowdFlowObserved,,,,,`,
    ].join("\r\n");
    // Act
    const result = await Devices.import({ ...destination, identity }, destination.tenant, { csv });
    // Assess
    expect(result).toMatchObject({ created: 1, failed: 1 });
    expect(result.results[1]).toMatchObject({
      status: "failed",
      deviceId: b,
      errors: [{ field: "body.csv.line3.protocol" }],
    });
    expect(await destination.store.get(destination.tenant, a)).toMatchObject({
      location: { type: "Point", coordinates: [-4.42, 36.72] },
      attributes: [
        { objectId: "c", name: "peopleCount", type: "Property", unitCode: "C62", valueType: "integer" },
        { objectId: "b", name: "batteryLevel", type: "Property", unitCode: "P1" },
      ],
      staticAttributes: [
        { name: "name", type: "Property", value: "Plaza Mayor" },
        { name: "capacity", type: "Property", value: 500 },
      ],
      expectedIntervalSeconds: 300,
    });
  });

  it("imports a JSON array and reports a duplicate inside it as a failed item", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity } = fakeIdentities();
    const registration = crowdCounter();
    // Act
    const result = await Devices.import({ ...destination, identity }, destination.tenant, [
      { ...registration },
      { ...registration },
    ]);
    // Assess
    expect(result.results.map((item) => item.status)).toEqual(["created", "failed"]);
    expect(result.results[1]).toMatchObject({
      code: "device-exists",
      errors: [{ field: "body.1.deviceId" }],
    });
  });

  it("refuses an import where nothing can be registered with 422", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity } = fakeIdentities();
    // Act
    const attempt = Devices.import({ ...destination, identity }, destination.tenant, [{ deviceId: "x" }]);
    // Assess
    await expect(attempt).rejects.toMatchObject({
      status: 422,
      errors: expect.arrayContaining([{ field: "body.0.protocol", reason: expect.any(String) }]),
    });
  });

  it("deprovisions: revokes the identity, then removes the device and its health", async () => {
    // Prepare
    const destination = await freshDestination();
    const { identity, revoked } = fakeIdentities();
    const registration = crowdCounter();
    const { device } = await Devices.register({ ...destination, identity }, destination.tenant, registration);
    // Act
    await Devices.remove({ ...destination, identity }, destination.tenant, registration.deviceId);
    // Assess
    expect(revoked).toEqual([device.thingName]);
    expect(await destination.store.get(destination.tenant, registration.deviceId)).toBeUndefined();
    expect(await destination.health.get(destination.tenant, registration.deviceId)).toBeUndefined();
    await expect(
      Devices.remove({ ...destination, identity }, destination.tenant, registration.deviceId),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("answers 404 for a destination without a registry", async () => {
    // Prepare
    const destination = await freshDestination();
    // Act
    const attempt = Devices.list(destination, "nowhere-town", 10);
    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404, code: "unknown-destination" });
  });
});

describe("local broker identities", () => {
  it("issue a password the broker's authenticator accepts once, and revoke it", async () => {
    // Prepare
    const client = createDynamoDbClient();
    const table = credentialsTableName(`s${crypto.randomUUID().slice(0, 6)}`);
    const broker = await openDeviceCredentialStore({ client, table });
    const provider = buildLocalBrokerIdentityProvider(createDocumentClient(client), table);
    const thingName = `villamar_${uniqueDevice()}`;
    // Act
    const credentials = await provider.provision({ tenant: "villamar", deviceId: "x", thingName });
    if (credentials.kind !== "password") throw new Error("expected a password");
    const accepted = await broker.authenticate(credentials.username, Buffer.from(credentials.password));
    const wrong = await broker.authenticate(credentials.username, Buffer.from("guess"));
    await provider.revoke({ tenant: "villamar", thingName });
    const afterRevoke = await broker.authenticate(credentials.username, Buffer.from(credentials.password));
    // Assess
    expect(accepted?.identity).toEqual({ kind: "device", tenant: "villamar", thing: thingName });
    expect(wrong).toBeNull();
    expect(afterRevoke).toBeNull();
    expect(await broker.isCurrent(thingName, accepted?.version ?? "")).toBe(false);
  });
});
