import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { S3Client } from "@aws-sdk/client-s3";
import {
  buildEventBridgePublisher,
  createDocumentClient,
  createDynamoDbClient,
  createEventBridgeClient,
} from "@sdp/aws";
import {
  ApiKeyPepper,
  AuditTable,
  DestinationTemplate,
  Env,
  IdentityEnv,
  platformTableEnvName,
  Stage,
  tableName,
} from "@sdp/contracts";
import { loadConfig, loadConfigValue } from "@sdp/kernel";
import { z } from "zod";
import { buildCloudFormationProvisioner } from "./adapters/cloudformation-provisioner";
import { buildCognitoUserDirectory } from "./adapters/cognito-user-directory";
import { buildDynamoDbApiKeyStore } from "./adapters/dynamodb-api-key-store";
import { buildDynamoDbAuditReader } from "./adapters/dynamodb-audit-reader";
import { buildDynamoDbProvisioner } from "./adapters/dynamodb-provisioner";
import { buildDynamoDbSmeStore } from "./adapters/dynamodb-sme-store";
import { buildDynamoDbTableReader } from "./adapters/dynamodb-table-reader";
import { buildDynamoDbTenantStore } from "./adapters/dynamodb-tenant-store";
import { buildDynamoDbTouristStore } from "./adapters/dynamodb-tourist-store";
import { buildFileArchiveStore } from "./adapters/file-archive-store";
import { buildLocalUserDirectory } from "./adapters/local-user-directory";
import { buildS3ArchiveStore } from "./adapters/s3-archive-store";
import type { ApiKeyDeps } from "./domain/api-keys";
import type { AuditDeps } from "./domain/audit";
import type { ArchiveStore, DestinationProvisioner, EventPublisher, UserDirectory } from "./domain/ports";
import type { SmeDeps } from "./domain/smes";
import type { StaffDeps } from "./domain/staff";
import type { OffboardingDeps, ProvisioningDeps, TenantDeps } from "./domain/tenant";
import type { TouristDeps } from "./domain/tourists";
import { API_KEYS_TABLE, DIRECTORY_TABLE, REGISTRY_TABLE, TENANTS_SERVICE } from "./keys";

const BaseConfig = z.object({ [Env.stage]: Stage });
const TableNameValue = z.string().min(3);
const platformTable = (purpose: string) =>
  loadConfigValue(platformTableEnvName(TENANTS_SERVICE, purpose), TableNameValue);
const stage = () => loadConfig(BaseConfig)[Env.stage];

const ProvisionerKind = z.object({ [Env.destinationProvisioner]: z.enum(["dynamodb", "cloudformation"]) });
const DynamoDbProvisionerConfig = z.object({ [Env.destinationTemplate]: z.url({ protocol: /^file$/ }) });
const CloudFormationProvisionerConfig = z.object({
  [Env.destinationTemplate]: z.url({ protocol: /^https$/ }),
  [Env.destinationStackRoleArn]: z.string().startsWith("arn:"),
});
const ArchiveKind = z.object({ [IdentityEnv.archiveStore]: z.enum(["file", "s3"]) });
const FileArchiveConfig = z.object({ [IdentityEnv.archiveDir]: z.url({ protocol: /^file$/ }) });
const S3ArchiveConfig = z.object({ [IdentityEnv.archiveBucket]: z.string().min(3) });
const DirectoryKind = z.object({ [IdentityEnv.userDirectory]: z.enum(["local", "cognito"]) });
const CognitoConfig = z.object({ [IdentityEnv.userPoolId]: z.string().min(1) });
const PepperConfig = z.object({ [IdentityEnv.apiKeyPepper]: ApiKeyPepper });

/** The store every tenants handler uses, built once per container from the checked configuration. */
export function tenantDeps(): TenantDeps {
  return { store: buildDynamoDbTenantStore(createDocumentClient(), platformTable(REGISTRY_TABLE)) };
}

function provisionerFrom(currentStage: string): DestinationProvisioner {
  if (loadConfig(ProvisionerKind)[Env.destinationProvisioner] === "dynamodb") {
    const config = loadConfig(DynamoDbProvisionerConfig);
    const text = readFileSync(new URL(config[Env.destinationTemplate]), "utf8");
    const template = DestinationTemplate.parse(JSON.parse(text));
    return buildDynamoDbProvisioner(createDynamoDbClient(), template, currentStage);
  }
  const config = loadConfig(CloudFormationProvisionerConfig);
  return buildCloudFormationProvisioner(new CloudFormationClient({}), {
    stage: currentStage,
    templateUrl: config[Env.destinationTemplate],
    roleArn: config[Env.destinationStackRoleArn],
  });
}

export function provisioningDeps(): ProvisioningDeps {
  return { ...tenantDeps(), provisioner: provisionerFrom(stage()) };
}

function archiveStoreFromEnv(): ArchiveStore {
  if (loadConfig(ArchiveKind)[IdentityEnv.archiveStore] === "file") {
    return buildFileArchiveStore(fileURLToPath(loadConfig(FileArchiveConfig)[IdentityEnv.archiveDir]));
  }
  return buildS3ArchiveStore(new S3Client({}), loadConfig(S3ArchiveConfig)[IdentityEnv.archiveBucket]);
}

/**
 * Provisioning and offboarding. The archive store is configured when the first export runs, so a
 * deployment without an archive bucket still provisions destinations.
 */
export function offboardingDeps(): OffboardingDeps {
  let archive: ArchiveStore | undefined;
  return {
    ...provisioningDeps(),
    tables: buildDynamoDbTableReader(createDocumentClient()),
    archive: {
      write: (key, lines) => {
        archive ??= archiveStoreFromEnv();
        return archive.write(key, lines);
      },
    },
  };
}

export function smeDeps(): SmeDeps {
  const client = createDocumentClient();
  const tables = { registry: platformTable(REGISTRY_TABLE), apiKeys: platformTable(API_KEYS_TABLE) };
  return {
    smes: buildDynamoDbSmeStore(client, tables),
    keys: buildDynamoDbApiKeyStore(client, tables),
    tenants: buildDynamoDbTenantStore(client, tables.registry),
  };
}

export function apiKeyDeps(): ApiKeyDeps {
  return { ...smeDeps(), stage: stage(), pepper: loadConfig(PepperConfig)[IdentityEnv.apiKeyPepper] };
}

export function auditDeps(): AuditDeps {
  const currentStage = stage();
  return {
    audit: buildDynamoDbAuditReader(createDocumentClient(), (tenant) =>
      tableName(currentStage, tenant, AuditTable.service, AuditTable.purpose),
    ),
  };
}

function userDirectoryFromEnv(): UserDirectory {
  if (loadConfig(DirectoryKind)[IdentityEnv.userDirectory] === "local") {
    return buildLocalUserDirectory(createDocumentClient(), platformTable(DIRECTORY_TABLE));
  }
  return buildCognitoUserDirectory(
    new CognitoIdentityProviderClient({}),
    loadConfig(CognitoConfig)[IdentityEnv.userPoolId],
  );
}

export function staffDeps(): StaffDeps {
  const { store } = tenantDeps();
  return { directory: userDirectoryFromEnv(), tenants: store };
}

export function touristDeps(): TouristDeps {
  const client = createDocumentClient();
  return {
    tourists: buildDynamoDbTouristStore(client, platformTable(DIRECTORY_TABLE)),
    tenants: buildDynamoDbTenantStore(client, platformTable(REGISTRY_TABLE)),
  };
}

const BusConfig = z.object({ [Env.eventBus]: z.string().min(1) });

export function eventPublisher(): EventPublisher {
  return buildEventBridgePublisher(createEventBridgeClient(), loadConfig(BusConfig)[Env.eventBus]);
}
