import { readFileSync } from "node:fs";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { createDocumentClient, createDynamoDbClient } from "@sdp/aws";
import { DestinationTemplate, Env, platformTableEnvName, Stage } from "@sdp/contracts";
import { loadConfig, loadConfigValue } from "@sdp/kernel";
import { z } from "zod";
import { buildCloudFormationProvisioner } from "./adapters/cloudformation-provisioner";
import { buildDynamoDbProvisioner } from "./adapters/dynamodb-provisioner";
import { buildDynamoDbTenantStore } from "./adapters/dynamodb-tenant-store";
import type { ProvisioningDeps, TenantDeps } from "./domain/tenant";
import type { DestinationProvisioner } from "./domain/ports";
import { REGISTRY_TABLE, TENANTS_SERVICE } from "./keys";

const REGISTRY_TABLE_ENV = platformTableEnvName(TENANTS_SERVICE, REGISTRY_TABLE);

const BaseConfig = z.object({ [Env.stage]: Stage });
const registryTable = () => loadConfigValue(REGISTRY_TABLE_ENV, z.string().min(3));

const ProvisionerKind = z.object({ [Env.destinationProvisioner]: z.enum(["dynamodb", "cloudformation"]) });
const DynamoDbProvisionerConfig = z.object({ [Env.destinationTemplate]: z.url({ protocol: /^file$/ }) });
const CloudFormationProvisionerConfig = z.object({
  [Env.destinationTemplate]: z.url({ protocol: /^https$/ }),
  [Env.destinationStackRoleArn]: z.string().startsWith("arn:"),
});

/** The store every tenants handler uses, built once per container from the checked configuration. */
export function tenantDeps(): TenantDeps {
  return { store: buildDynamoDbTenantStore(createDocumentClient(), registryTable()) };
}

function provisionerFrom(stage: string): DestinationProvisioner {
  if (loadConfig(ProvisionerKind)[Env.destinationProvisioner] === "dynamodb") {
    const config = loadConfig(DynamoDbProvisionerConfig);
    const text = readFileSync(new URL(config[Env.destinationTemplate]), "utf8");
    const template = DestinationTemplate.parse(JSON.parse(text));
    return buildDynamoDbProvisioner(createDynamoDbClient(), template, stage);
  }
  const config = loadConfig(CloudFormationProvisionerConfig);
  return buildCloudFormationProvisioner(new CloudFormationClient({}), {
    stage,
    templateUrl: config[Env.destinationTemplate],
    roleArn: config[Env.destinationStackRoleArn],
  });
}

export function provisioningDeps(): ProvisioningDeps {
  const stage = loadConfig(BaseConfig)[Env.stage];
  return { ...tenantDeps(), provisioner: provisionerFrom(stage) };
}
