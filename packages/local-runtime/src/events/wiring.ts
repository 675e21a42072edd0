import { functionName, type ServiceManifest } from "@sdp/contracts";
import { invokeHandler, loadHandler } from "../lambda/invoke";
import { startEventBus } from "./bus";
import { startScheduler } from "./scheduler";

/** The event bus with a rule per declared event consumer, as EventBridge rules target Lambdas in AWS. */
export function startEventBusFor(options: {
  readonly stage: string;
  readonly region: string;
  readonly manifests: readonly ServiceManifest[];
  readonly root: string;
  readonly port: number;
  readonly host: string;
}) {
  const { stage, root } = options;
  const rules = options.manifests.flatMap((manifest) =>
    (manifest.eventConsumers ?? []).map((consumer) => ({
      name: `${manifest.service}-${consumer.name}`,
      pattern: consumer.pattern,
      deliver: async (event: unknown) => {
        const handler = await loadHandler(root, consumer.handler);
        await invokeHandler(handler, event, {
          functionName: functionName(stage, manifest.service, consumer.handler),
        });
      },
    })),
  );
  return startEventBus({ port: options.port, host: options.host, region: options.region, rules });
}

/** Every declared schedule, invoking its handler with a scheduled event at its rate. */
export function startSchedulesFor(options: {
  readonly stage: string;
  readonly region: string;
  readonly manifests: readonly ServiceManifest[];
  readonly root: string;
}) {
  const { stage, root } = options;
  const schedules = options.manifests.flatMap((manifest) =>
    (manifest.schedules ?? []).map((schedule) => ({
      name: `${manifest.service}-${schedule.name}`,
      rate: schedule.rate,
      invoke: async (event: unknown) => {
        const handler = await loadHandler(root, schedule.handler);
        await invokeHandler(handler, event, {
          functionName: functionName(stage, manifest.service, schedule.handler),
        });
      },
    })),
  );
  return startScheduler(schedules, options.region);
}
