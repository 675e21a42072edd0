import { destinationTemplate, type ServiceManifest, TENANT_SLUG_PATTERN, tableName } from "@sdp/contracts";
import { Aws, CfnParameter, Fn, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { CfnThingGroup, CfnTopicRule } from "aws-cdk-lib/aws-iot";
import type { Construct } from "constructs";
import { streamMapping } from "./event-sources";
import { findTable, functionFor, functionSpecs, Names, TENANT_PLACEHOLDER, validateManifests } from "./model";
import { declaredTable } from "./tables";

export interface DestinationStackProps extends StackProps {
  readonly manifests: readonly ServiceManifest[];
  readonly stage: string;
  /** Default of the TenantSlug parameter, for an operator deploying one destination by hand. */
  readonly defaultSlug?: string;
}

export const TENANT_SLUG_PARAMETER = "TenantSlug";

export const arnOf = {
  queue: (name: string) => `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${name}`,
  queueUrl: (name: string) => `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/${name}`,
  role: (name: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${name}`,
};

/**
 * What one destination owns (DESIGN §4): its per-tenant tables, the event source mappings that connect
 * their streams to the platform's functions, and its IoT thing group and topic rules. The slug is a
 * parameter, so one template serves every destination; the platform's provisioner passes it to
 * CreateStack. Platform resources are referenced by their deterministic names, never by export, so that
 * destinations do not pin the platform stack.
 */
export class DestinationStack extends Stack {
  readonly slug: CfnParameter;

  constructor(scope: Construct, id: string, props: DestinationStackProps) {
    super(scope, id, props);
    const { manifests, stage } = props;
    validateManifests(manifests);
    const functions = functionSpecs(manifests, stage);

    this.slug = new CfnParameter(this, TENANT_SLUG_PARAMETER, {
      type: "String",
      description: "The destination's slug (DESIGN §4)",
      allowedPattern: TENANT_SLUG_PATTERN.source,
      constraintDescription: `must match ${TENANT_SLUG_PATTERN.source}`,
      ...(props.defaultSlug ? { default: props.defaultSlug } : {}),
    });
    const slug = this.slug.valueAsString;
    Tags.of(this).add("sdp:stage", stage);
    // Stack tags cannot hold a parameter; the provisioner tags the stack itself.
    Tags.of(this).add("sdp:destination", slug, { excludeResourceTypes: ["aws:cdk:stack"] });

    const tables = new Map<string, ReturnType<typeof declaredTable>>();
    for (const spec of destinationTemplate(manifests).tables) {
      const id = ["Table", spec.service, spec.purpose].filter(Boolean).join("-");
      const table = declaredTable(this, id, {
        tableName: tableName(stage, slug, spec.service, spec.purpose),
        shape: spec,
        lifecycle: "leaves-with-destination",
      });
      tables.set(`${spec.service}/${spec.purpose}`, table);
    }

    for (const manifest of manifests) {
      for (const consumer of manifest.streamConsumers ?? []) {
        const { source } = consumer;
        if (source.kind !== "dynamodb" || source.scope !== "tenant") continue;
        const table = tables.get(
          `${manifest.service}/${findTable(manifest, source.tablePurpose, "tenant").purpose}`,
        );
        if (!table?.tableStreamArn)
          throw new Error(`${manifest.service}: consumer ${consumer.name} has no stream`);
        streamMapping(this, `Consumer-${manifest.service}-${consumer.name}`, {
          functionName: functionFor(functions, consumer.handler).name,
          eventSourceArn: table.tableStreamArn,
          consumer,
          ...(consumer.onFailureQueue !== undefined
            ? {
                onFailureDestinationArn: arnOf.queue(
                  Names.platformResource(stage, manifest.service, consumer.onFailureQueue),
                ),
              }
            : {}),
        });
      }
    }

    const iotRules = manifests.flatMap((manifest) =>
      (manifest.iotRules ?? []).map((rule) => ({ manifest, rule })),
    );
    if (iotRules.length > 0) {
      new CfnThingGroup(this, "ThingGroup", {
        thingGroupName: `sdp-${stage}-${slug}`,
        thingGroupProperties: {
          thingGroupDescription: "Devices of one destination",
          // The IoT policy reads this attribute as a policy variable to confine a device to its tenant.
          attributePayload: { attributes: { destination: slug } },
        },
      });
      // Topic rule names allow only [a-zA-Z0-9_]; slugs may contain hyphens.
      const slugForRuleName = Fn.join("_", Fn.split("-", slug));
      const roleArn = arnOf.role(Names.iotRuleRole(stage));
      for (const { manifest, rule } of iotRules) {
        const topicFilter = rule.topicFilter.split(TENANT_PLACEHOLDER).join(slug);
        new CfnTopicRule(this, `IotRule-${manifest.service}-${rule.name}`, {
          ruleName: Fn.join("_", [
            `sdp_${stage}`,
            slugForRuleName,
            `${manifest.service}_${rule.name}`.replace(/\W/g, "_"),
          ]),
          topicRulePayload: {
            sql: `SELECT * FROM '${topicFilter}'`,
            awsIotSqlVersion: "2016-03-23",
            ruleDisabled: false,
            actions: [
              {
                kinesis: {
                  streamName: Names.platformResource(stage, manifest.service, rule.streamPurpose),
                  partitionKey: rule.partitionKey,
                  roleArn,
                },
              },
            ],
            errorAction: {
              sqs: {
                queueUrl: arnOf.queueUrl(Names.platformResource(stage, manifest.service, rule.errorQueue)),
                roleArn,
                useBase64: false,
              },
            },
          },
        });
      }
    }
  }
}
