import {
  type BulkRegistrationResult,
  type Device,
  type DeviceList,
  DeviceRegistration,
  DeviceTopics,
  DomainError,
  defaultEntityId,
  MAX_BULK_DEVICES,
  Problems,
  type ProvisionedDevice,
  thingNameOf,
} from "@sdp/contracts";
import { type Clock, errorFields, log, systemClock } from "@sdp/kernel";
import { issuesToFields } from "@sdp/lambda-kit";
import { registrationsFromCsv } from "./csv";
import { IngestProblems, inDestination } from "./errors";
import {
  type DestinationDirectory,
  DeviceExistsError,
  type DeviceIdentityProvider,
  type DeviceStore,
} from "./ports";

export interface RegistryDeps {
  readonly store: DeviceStore;
  readonly identity: DeviceIdentityProvider;
  readonly destinations: DestinationDirectory;
  readonly clock?: Clock;
}

/** A registration as it is stored: names of its thing and topics derived once, here. */
export function deviceFrom(tenant: string, registration: DeviceRegistration, now: string): Device {
  const thingName = thingNameOf(tenant, registration.deviceId);
  const { entityId, ...rest } = registration;
  return {
    ...rest,
    entityId: entityId ?? defaultEntityId(registration.entityType, registration.deviceId),
    thingName,
    telemetryTopic: DeviceTopics.telemetry(tenant, thingName),
    commandTopicPrefix: `cmd/${tenant}/${thingName}`,
    createdAt: now,
    updatedAt: now,
  };
}

export const Devices = {
  /**
   * Registers a device and creates its identity. The registry entry is written first (it claims the
   * id), the identity second; if the identity cannot be created the entry is removed again.
   */
  async register(
    deps: RegistryDeps,
    tenant: string,
    registration: DeviceRegistration,
    field = "body.deviceId",
  ): Promise<ProvisionedDevice> {
    const now = (deps.clock ?? systemClock).now().toISOString();
    const device = deviceFrom(tenant, registration, now);
    await inDestination(tenant, async () => {
      try {
        await deps.store.insert(tenant, device);
      } catch (error) {
        if (error instanceof DeviceExistsError) throw IngestProblems.deviceExists(device.deviceId, field);
        throw error;
      }
    });
    try {
      await deps.destinations.remember(tenant);
      const credentials = await deps.identity.provision({
        tenant,
        deviceId: device.deviceId,
        thingName: device.thingName,
      });
      log.info("device registered", {
        deviceId: device.deviceId,
        thing: device.thingName,
        protocol: device.protocol,
      });
      return { device, credentials };
    } catch (error) {
      log.error("device identity could not be created; registration undone", {
        deviceId: device.deviceId,
        ...errorFields(error),
      });
      await deps.store.remove(tenant, device.deviceId);
      throw IngestProblems.identityFailed(error);
    }
  },

  /**
   * Registers many devices (a JSON array or CSV); each is validated and registered on its own, so
   * the answer says per item what was created and why the others were not.
   */
  async import(
    deps: RegistryDeps,
    tenant: string,
    body: readonly Record<string, unknown>[] | { readonly csv: string },
  ): Promise<BulkRegistrationResult> {
    let items: Array<{ field: string; candidate: unknown }>;
    if ("csv" in body && typeof body.csv === "string") {
      const { rows, problems } = registrationsFromCsv(body.csv);
      if (problems.length > 0) throw Problems.validation(problems);
      if (rows.length > MAX_BULK_DEVICES) {
        throw Problems.validation([{ field: "body.csv", reason: `has more than ${MAX_BULK_DEVICES} rows` }]);
      }
      items = rows.map((row) => ({ field: `body.csv.line${row.line}`, candidate: row.registration }));
    } else if (Array.isArray(body)) {
      items = body.map((candidate, index) => ({ field: `body.${index}`, candidate }));
    } else {
      throw Problems.validation([{ field: "body", reason: "must be an array of registrations or {csv}" }]);
    }
    const results: BulkRegistrationResult["results"] = [];
    // One at a time: each registration creates an identity, and IoT Core's control plane is rate limited.
    for (const [index, { field, candidate }] of items.entries()) {
      const parsed = DeviceRegistration.safeParse(candidate);
      const deviceId =
        typeof candidate === "object" &&
        candidate !== null &&
        "deviceId" in candidate &&
        typeof candidate.deviceId === "string"
          ? candidate.deviceId
          : undefined;
      if (!parsed.success) {
        results.push({
          index,
          status: "failed",
          ...(deviceId ? { deviceId } : {}),
          code: "validation-failed",
          errors: issuesToFields(field, parsed.error),
        });
        continue;
      }
      try {
        const provisioned = await Devices.register(deps, tenant, parsed.data, `${field}.deviceId`);
        results.push({ index, status: "created", deviceId: parsed.data.deviceId, ...provisioned });
      } catch (error) {
        // Per item, even the identity provider's failures: the devices created so far keep their credentials.
        if (!(error instanceof DomainError) || error.code === "unknown-destination") throw error;
        results.push({
          index,
          status: "failed",
          deviceId: parsed.data.deviceId,
          code: error.code,
          errors: error.errors ?? [{ field, reason: error.detail ?? error.title }],
        });
      }
    }
    const created = results.filter((result) => result.status === "created").length;
    const outcome = { created, failed: results.length - created, results };
    if (
      created === 0 &&
      results.some((result) => result.status === "failed" && result.code === "identity-provider-failed")
    ) {
      throw IngestProblems.identityFailed(undefined);
    }
    if (created === 0) {
      throw IngestProblems.noneRegistered(
        results.flatMap((result) => (result.status === "failed" ? result.errors : [])),
      );
    }
    return outcome;
  },

  async get(deps: Pick<RegistryDeps, "store">, tenant: string, deviceId: string): Promise<Device> {
    const device = await inDestination(tenant, () => deps.store.get(tenant, deviceId));
    if (!device) throw Problems.notFound(`device ${deviceId}`);
    return device;
  },

  list(
    deps: Pick<RegistryDeps, "store">,
    tenant: string,
    limit: number,
    cursor?: string,
  ): Promise<DeviceList> {
    return inDestination(tenant, () => deps.store.list(tenant, limit, cursor));
  },

  /** Replaces a device's identity: the old one is revoked (connections cut off), a new one issued. */
  async rotateCredentials(deps: RegistryDeps, tenant: string, deviceId: string): Promise<ProvisionedDevice> {
    const device = await Devices.get(deps, tenant, deviceId);
    await deps.identity.revoke({ tenant, thingName: device.thingName });
    try {
      const credentials = await deps.identity.provision({ tenant, deviceId, thingName: device.thingName });
      log.info("device credentials replaced", { deviceId, thing: device.thingName });
      return { device, credentials };
    } catch (error) {
      throw IngestProblems.identityFailed(
        error,
        "the old credentials are revoked but new ones could not be created; try again",
      );
    }
  },

  /** Deprovisions a device: the identity is revoked first (the device is cut off), then the entry goes. */
  async remove(deps: RegistryDeps, tenant: string, deviceId: string): Promise<void> {
    const device = await Devices.get(deps, tenant, deviceId);
    await deps.identity.revoke({ tenant, thingName: device.thingName });
    await deps.store.remove(tenant, deviceId);
    log.info("device deprovisioned", { deviceId, thing: device.thingName });
  },
};
