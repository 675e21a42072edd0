import type { DeadLetterSink as SharedDeadLetterSink } from "@sdp/aws";
import type {
  Command,
  ContextUpdate,
  DeadLetterReason,
  Device,
  DeviceAlert,
  DeviceCredentials,
  IngestDeadLetter,
} from "@sdp/contracts";
import type { AlertEvent } from "./alert-events";

/**
 * The ports of the ingest domain. Stores take the destination explicitly: the handler resolves it from
 * the authenticated principal (HTTP) or from the stream record's partition key, which only platform
 * components write (the IoT rule, from the topic the device's policy confines it to; HTTP ingestion,
 * from the principal).
 */

export class DeviceExistsError extends Error {
  constructor(deviceId: string) {
    super(`device ${deviceId} exists`);
    this.name = "DeviceExistsError";
  }
}

/** The destination has no ingest resources (it does not exist, or is being removed). */
export class UnknownDestinationError extends Error {
  constructor(tenant: string, options?: { cause?: unknown }) {
    super(`destination ${tenant} has no device registry`, options);
    this.name = "UnknownDestinationError";
  }
}

/** The device registry of each destination. */
export interface DeviceStore {
  /** Records a device and its initial health; fails with `DeviceExistsError` if the id is taken. */
  insert(tenant: string, device: Device): Promise<void>;
  get(tenant: string, deviceId: string): Promise<Device | undefined>;
  /** Several devices at once (the stream consumer), keyed by device id; unknown ids are absent. */
  getMany(tenant: string, deviceIds: readonly string[]): Promise<Map<string, Device>>;
  list(tenant: string, limit: number, cursor?: string): Promise<{ items: Device[]; nextCursor?: string }>;
  /** Removes the device, its health and its commands; false if it did not exist. */
  remove(tenant: string, deviceId: string): Promise<boolean>;
}

/** What one batch of the stream taught about one device. */
export interface DeviceActivity {
  readonly deviceId: string;
  readonly messages: number;
  readonly decodeErrors: number;
  /** Latest arrival among its messages. */
  readonly lastSeenAt?: string;
  /** Latest observation time among its measurements. */
  readonly lastObservedAt?: string;
  readonly battery?: { readonly value: number; readonly observedAt: string };
}

export interface HealthRecord {
  readonly deviceId: string;
  readonly entityId: string;
  readonly expectedIntervalSeconds: number;
  readonly registeredAt: string;
  readonly lastSeenAt?: string;
  readonly lastObservedAt?: string;
  readonly messageCount: number;
  readonly decodeErrorCount: number;
  readonly windowStartedAt: string;
  readonly windowMessages: number;
  readonly battery?: number;
  readonly alert?: DeviceAlert;
}

/** An alert event in a destination's outbox, not yet accepted by the bus. */
export interface PendingAlertEvent {
  /** Its outbox key, to remove it once published. */
  readonly id: string;
  readonly event: AlertEvent;
}

/**
 * The outbox of alert events: each alert change writes its event in the same transaction (see
 * `HealthStore`), and the event stays here until the bus accepted it.
 */
export interface AlertOutbox {
  /** Pending events, oldest change first. */
  pendingEvents(
    tenant: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: PendingAlertEvent[]; nextCursor?: string }>;
  removeEvents(tenant: string, ids: readonly string[]): Promise<void>;
}

/**
 * Device health and alerts of each destination. Raising or clearing an alert is one transaction: the
 * health item's alert, its history item and its event in the outbox change together or not at all.
 */
export interface HealthStore extends AlertOutbox {
  /**
   * Adds a batch's activity to the devices' health; clears the silence alert of any device heard of
   * again (announcing it in the outbox). Returns the alerts cleared.
   */
  recordActivity(tenant: string, activity: readonly DeviceActivity[], now: Date): Promise<DeviceAlert[]>;
  countDeadLetters(tenant: string, counts: Partial<Record<DeadLetterReason, number>>): Promise<void>;
  get(tenant: string, deviceId: string): Promise<HealthRecord | undefined>;
  list(
    tenant: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: HealthRecord[]; nextCursor?: string }>;
  deadLetterCounts(tenant: string): Promise<Record<string, number>>;
  /**
   * Opens a silence alert for the device as `record` shows it, unless one is open or the device was
   * heard of since `record` was read; returns whether it opened one.
   */
  raiseAlert(tenant: string, record: HealthRecord, alert: DeviceAlert): Promise<boolean>;
  /** Closes the open alert `record` shows, unless it was closed meanwhile, and returns it. */
  clearAlert(tenant: string, record: HealthRecord, at: string): Promise<DeviceAlert | undefined>;
  recentAlerts(tenant: string, limit: number): Promise<DeviceAlert[]>;
}

/** Puts alert events on the platform bus; returns the indexes of those it did not accept. */
export interface AlertEventPublisher {
  publish(events: readonly AlertEvent[]): Promise<{ readonly failed: ReadonlySet<number> }>;
}

/** The destinations that have (had) devices, so the silence check knows where to look. */
export interface DestinationDirectory {
  remember(tenant: string): Promise<void>;
  list(): Promise<string[]>;
}

/** Commands sent to devices, and their acknowledgements. */
export interface CommandStore {
  insert(tenant: string, command: Command): Promise<void>;
  get(tenant: string, deviceId: string, commandId: string): Promise<Command | undefined>;
  /** Moves a pending command to sent or failed; a command already acknowledged stays so. */
  markDispatched(
    tenant: string,
    deviceId: string,
    commandId: string,
    outcome: { sentAt: string } | { failure: string },
  ): Promise<void>;
  /** Records the acknowledgement; false if there is no such command. */
  acknowledge(
    tenant: string,
    deviceId: string,
    commandId: string,
    result: unknown,
    at: string,
  ): Promise<boolean>;
}

/** Device identities: IoT Core things and certificates in AWS, passwords of the local broker locally. */
export interface DeviceIdentityProvider {
  /** Creates the identity; the secret part of the credentials is returned here only. */
  provision(input: {
    readonly tenant: string;
    readonly deviceId: string;
    readonly thingName: string;
  }): Promise<DeviceCredentials>;
  /** Revokes the identity: connections made with it are cut off, new ones refused. Idempotent. */
  revoke(input: { readonly tenant: string; readonly thingName: string }): Promise<void>;
}

/** IoT Core's data-plane Publish (or the local broker). */
export interface CommandPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

export interface StreamPutResult {
  /** Per input record, in order: the sequence number, or why it was not put. */
  readonly results: ReadonlyArray<{ readonly sequenceNumber: string } | { readonly error: string }>;
}

/** Puts records on a Kinesis stream (one PutRecords per 500 records or 5 MiB). */
export interface StreamWriter {
  put(
    records: ReadonlyArray<{ readonly partitionKey: string; readonly data: Buffer }>,
  ): Promise<StreamPutResult>;
}

/** Hands context updates to the context broker; returns the indexes of those it could not hand over. */
export interface ContextUpdatePublisher {
  publish(updates: readonly ContextUpdate[]): Promise<{ readonly failed: ReadonlySet<number> }>;
}

/** Where records that can never be processed go, with the reason. */
export type DeadLetterSink = SharedDeadLetterSink<IngestDeadLetter>;
