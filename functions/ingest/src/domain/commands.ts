import { type Command, DeviceTopics, Problems, type SendCommandRequest } from "@sdp/contracts";
import { type Clock, errorFields, log, newId, systemClock } from "@sdp/kernel";
import { Devices } from "./devices";
import { IngestProblems, inDestination } from "./errors";
import { encodeCommand } from "./payloads";
import type { CommandPublisher, CommandStore, DeviceStore } from "./ports";

export interface CommandDeps {
  readonly store: DeviceStore;
  readonly commands: CommandStore;
  readonly publisher: CommandPublisher;
  readonly clock?: Clock;
}

export const Commands = {
  /**
   * Sends a command to a device on `cmd/<destination>/<thing>/<commandId>`. It is recorded before it is
   * published, so an acknowledgement can never arrive for a command the registry does not know.
   */
  async send(
    deps: CommandDeps,
    tenant: string,
    deviceId: string,
    request: SendCommandRequest,
  ): Promise<Command> {
    const device = await Devices.get(deps, tenant, deviceId);
    const clock = deps.clock ?? systemClock;
    const commandId = newId();
    const command: Command = {
      commandId,
      deviceId,
      command: request.command,
      ...(request.params === undefined ? {} : { params: request.params }),
      status: "pending",
      topic: DeviceTopics.command(tenant, device.thingName, commandId),
      createdAt: clock.now().toISOString(),
    };
    await inDestination(tenant, () => deps.commands.insert(tenant, command));
    const payload = encodeCommand(device.protocol, deviceId, {
      commandId,
      command: request.command,
      params: request.params,
    });
    try {
      await deps.publisher.publish(command.topic, payload);
    } catch (error) {
      log.error("command not published", { deviceId, commandId, ...errorFields(error) });
      await deps.commands.markDispatched(tenant, deviceId, commandId, {
        failure: "the message broker did not take it",
      });
      throw IngestProblems.brokerFailed(error);
    }
    const sentAt = clock.now().toISOString();
    await deps.commands.markDispatched(tenant, deviceId, commandId, { sentAt });
    return (await deps.commands.get(tenant, deviceId, commandId)) ?? { ...command, status: "sent", sentAt };
  },

  async get(
    deps: Pick<CommandDeps, "commands">,
    tenant: string,
    deviceId: string,
    commandId: string,
  ): Promise<Command> {
    const command = await inDestination(tenant, () => deps.commands.get(tenant, deviceId, commandId));
    if (!command) throw Problems.notFound(`command ${commandId} of device ${deviceId}`);
    return command;
  },
};
