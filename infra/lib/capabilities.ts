import {
  destinationTemplate,
  Env,
  type HandlerCapability,
  IdentityEnv,
  type IotArnScope,
  IotEnv,
  iotPolicyDocument,
  platformPublishResources,
  type ServiceManifest,
} from "@sdp/contracts";
import { Annotations, ArnFormat, Aws, CfnOutput, CfnParameter, RemovalPolicy, type Stack } from "aws-cdk-lib";
import type { UserPool } from "aws-cdk-lib/aws-cognito";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { PolicyStatement, type Role } from "aws-cdk-lib/aws-iam";
import { CfnPolicy } from "aws-cdk-lib/aws-iot";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import type { Asset } from "aws-cdk-lib/aws-s3-assets";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Names } from "./model";
import { acknowledge, grantWithWildcards } from "./nag";
import type { ServiceFunction } from "./service-function";

/** The context value naming the account's IoT Core data endpoint (`aws iot describe-endpoint --endpoint-type iot:Data-ATS`). */
export const IOT_DATA_ENDPOINT_CONTEXT = "sdp:iotDataEndpoint";
/** The stack parameter that stands in for the context value when it was not given at synthesis. */
export const IOT_DATA_ENDPOINT_PARAMETER = "IotDataEndpoint";
/** A host name, as `describe-endpoint` prints it: `<prefix>-ats.iot.<region>.amazonaws.com`. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** The values of the configuration switches that select AWS adapters over local ones. */
export const AWS_ADAPTERS = {
  archiveStore: "s3",
  userDirectory: "cognito",
  iotIdentityProvider: "iot",
  iotPublisher: "iot-data",
} as const;

export interface CapabilitiesProps {
  readonly stage: string;
  readonly manifests: readonly ServiceManifest[];
  readonly userPool: UserPool;
  readonly destinationStackRole: Role;
  readonly destinationTemplate: Asset;
  /** The platform event bus, the only one `publish-events` reaches. */
  readonly eventBus: IEventBus;
}

/**
 * The privileges a handler may declare beyond its service's own resources (`HandlerRef.capabilities`),
 * each as the configuration it implies and the narrowest grant IAM allows. The shared resources behind
 * them (the device policy, the pepper, the archive bucket, the data endpoint) exist only once some
 * handler declares the capability that needs them.
 */
export class PlatformCapabilities {
  private devicePolicy: CfnPolicy | undefined;
  private pepper: Secret | undefined;
  private archive: Bucket | undefined;
  private iotDataEndpoint: string | undefined;

  constructor(
    private readonly stack: Stack,
    private readonly props: CapabilitiesProps,
  ) {}

  /** The variables a function with the capability is given. */
  environment(capability: HandlerCapability): Record<string, string> {
    switch (capability) {
      case "provision-destinations":
        // The provisioner's variables are shared by every function (commonEnvironment).
        return {};
      case "archive-destinations":
        return {
          [IdentityEnv.archiveStore]: AWS_ADAPTERS.archiveStore,
          [IdentityEnv.archiveBucket]: this.archiveBucket().bucketName,
        };
      case "manage-staff":
        return {
          [IdentityEnv.userDirectory]: AWS_ADAPTERS.userDirectory,
          [IdentityEnv.userPoolId]: this.props.userPool.userPoolId,
        };
      case "hash-api-keys":
        // A dynamic reference: CloudFormation resolves it at deployment, the template never holds it.
        return { [IdentityEnv.apiKeyPepper]: this.pepperSecret().secretValue.unsafeUnwrap() };
      case "manage-devices":
        return {
          [IotEnv.identityProvider]: AWS_ADAPTERS.iotIdentityProvider,
          // The Ref is the policy's name, and makes the function wait for the policy.
          [IotEnv.devicePolicy]: this.deviceIotPolicy().ref,
        };
      case "publish-mqtt":
        return {
          [IotEnv.publisher]: AWS_ADAPTERS.iotPublisher,
          [Env.endpointIotData]: this.iotDataEndpointUrl(),
        };
      case "publish-events":
        // The bus's name (SDP_EVENT_BUS) is shared by every function (commonEnvironment).
        return {};
    }
  }

  grant(capability: HandlerCapability, fn: ServiceFunction): void {
    const grants: Record<HandlerCapability, (role: Role) => void> = {
      "provision-destinations": (role) => this.grantProvisioning(role),
      "archive-destinations": (role) => this.grantArchiving(role),
      "manage-staff": (role) => this.grantStaffManagement(role),
      // Nothing at run time: the value is in the function's configuration (see environment()).
      "hash-api-keys": () => {},
      "manage-devices": (role) => this.grantDeviceManagement(role),
      "publish-mqtt": (role) => this.grantPublishing(role),
      // events:PutEvents on the platform bus's ARN only.
      "publish-events": (role) => this.props.eventBus.grantPutEventsTo(role),
    };
    grants[capability](fn.role);
  }

  private get arnScope(): IotArnScope {
    return { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };
  }

  private arn(service: string, resource: string, resourceName: string): string {
    return this.stack.formatArn({
      service,
      resource,
      resourceName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private destinationStacksArn(): string {
    return this.arn("cloudformation", "stack", `${Names.destinationStack(this.props.stage, "*")}/*`);
  }

  /**
   * What the provisioner needs to create, update and delete destination stacks: only through the
   * destination role, and only on destination stack names.
   */
  private grantProvisioning(role: Role): void {
    const destinationStacks = this.destinationStacksArn();
    const reason =
      "Destination stacks are named sdp-<stage>-destination-<slug>; slugs are known only at run time.";
    grantWithWildcards(
      role,
      {
        actions: ["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack"],
        resources: [destinationStacks],
        conditions: { ArnEquals: { "cloudformation:RoleArn": this.props.destinationStackRole.roleArn } },
      },
      reason,
    );
    grantWithWildcards(
      role,
      {
        actions: [
          "cloudformation:DescribeStacks",
          "cloudformation:DescribeStackEvents",
          "cloudformation:DescribeStackResources",
          "cloudformation:TagResource",
        ],
        resources: [destinationStacks],
      },
      reason,
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [this.props.destinationStackRole.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
      }),
    );
    // CloudFormation fetches a TemplateURL with the caller's credentials.
    const template = this.props.destinationTemplate;
    role.addToPolicy(
      new PolicyStatement({
        actions: ["s3:GetObject"],
        resources: [template.bucket.arnForObjects(template.s3ObjectKey)],
      }),
    );
  }

  /**
   * Exports a leaving destination: lists its tables from its stack, scans each (only the tenant tables
   * the manifests declare, by name pattern), and puts one archive object into the archive bucket.
   */
  private grantArchiving(role: Role): void {
    const { stage, manifests } = this.props;
    grantWithWildcards(
      role,
      {
        actions: ["cloudformation:DescribeStacks", "cloudformation:DescribeStackResources"],
        resources: [this.destinationStacksArn()],
      },
      "The export lists a destination's tables from its stack, named sdp-<stage>-destination-<slug>.",
    );
    const tables = destinationTemplate(manifests).tables.map((table) =>
      this.arn(
        "dynamodb",
        "table",
        ["sdp", stage, "*", table.service, table.purpose].filter(Boolean).join("-"),
      ),
    );
    if (tables.length > 0) {
      grantWithWildcards(
        role,
        { actions: ["dynamodb:Scan"], resources: tables },
        "The export scans every tenant table of the leaving destination; the slug in their names is known only at run time.",
      );
    }
    this.archiveBucket();
    // By name, not by the bucket's attribute: the grant is made in the function's nested stack, where a
    // reference would become a parameter and no longer match its acknowledgement.
    const objects = `arn:${Aws.PARTITION}:s3:::${Names.archiveBucket(stage)}/*`;
    grantWithWildcards(
      role,
      { actions: ["s3:PutObject"], resources: [objects] },
      "Archive keys name the destination and the time of the export; they are made at run time.",
    );
  }

  /** Staff accounts and their role and destination groups, in the one staff user pool. */
  private grantStaffManagement(role: Role): void {
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          "cognito-idp:AdminCreateUser",
          "cognito-idp:AdminGetUser",
          "cognito-idp:AdminDeleteUser",
          "cognito-idp:AdminAddUserToGroup",
          "cognito-idp:AdminRemoveUserFromGroup",
          "cognito-idp:AdminListGroupsForUser",
          "cognito-idp:ListUsersInGroup",
          "cognito-idp:CreateGroup",
        ],
        resources: [this.props.userPool.userPoolArn],
      }),
    );
  }

  /**
   * Device identities: the thing (`<destination>_<device>`), its certificate (made by IoT Core, so its id
   * is known only afterwards), the device policy's attachment and the destination's thing group — and
   * their removal. Thing and certificate names carry no stage, so they are matched by kind only.
   */
  private grantDeviceManagement(role: Role): void {
    const { stage } = this.props;
    const things = this.arn("iot", "thing", "*");
    const certificates = this.arn("iot", "cert", "*");
    const groups = this.arn("iot", "thinggroup", `sdp-${stage}-*`);
    const reason =
      "Things are named <destination>_<device> and certificate ids are assigned by IoT Core, all at run time.";
    grantWithWildcards(
      role,
      {
        actions: ["iot:CreateThing", "iot:DeleteThing", "iot:ListThingPrincipals"],
        resources: [things],
      },
      reason,
    );
    grantWithWildcards(
      role,
      {
        actions: ["iot:AttachThingPrincipal", "iot:DetachThingPrincipal"],
        resources: [things, certificates],
      },
      reason,
    );
    grantWithWildcards(
      role,
      {
        actions: ["iot:UpdateCertificate", "iot:DeleteCertificate", "iot:AttachPolicy", "iot:DetachPolicy"],
        resources: [certificates],
      },
      `${reason} AttachPolicy authorizes on the target certificate; the only policy it is used with is ${Names.iotDevicePolicy(stage)}.`,
    );
    grantWithWildcards(
      role,
      {
        actions: ["iot:AddThingToThingGroup", "iot:RemoveThingFromThingGroup"],
        resources: [things, groups],
      },
      `${reason} Thing groups are the destinations' sdp-<stage>-<slug>.`,
    );
    grantWithWildcards(
      role,
      { actions: ["iot:CreateKeysAndCertificate"], resources: ["*"] },
      "iot:CreateKeysAndCertificate supports no resource-level permissions.",
    );
  }

  /** iot:Publish on the platform's own topics only: commands to devices and notifications. */
  private grantPublishing(role: Role): void {
    grantWithWildcards(
      role,
      { actions: ["iot:Publish"], resources: platformPublishResources(this.arnScope) },
      "Command and notification topics name the destination and device, known only at run time (PLATFORM_PUBLISH_GRAMMAR).",
    );
  }

  /** The one IoT policy of every device certificate, rendered from the topic grammar (DESIGN §4). */
  private deviceIotPolicy(): CfnPolicy {
    if (!this.devicePolicy) {
      const policyName = Names.iotDevicePolicy(this.props.stage);
      this.devicePolicy = new CfnPolicy(this.stack, "IotDevicePolicy", {
        policyName,
        policyDocument: iotPolicyDocument(this.arnScope),
      });
      // Attached to every device certificate: it must outlive a deleted stack as the devices do.
      this.devicePolicy.applyRemovalPolicy(RemovalPolicy.RETAIN);
      new CfnOutput(this.stack, "IotDevicePolicyName", { value: policyName });
    }
    return this.devicePolicy;
  }

  /** The secret of the keyed hash of API key secrets: generated once, never rotated, never deleted. */
  private pepperSecret(): Secret {
    if (!this.pepper) {
      this.pepper = new Secret(this.stack, "ApiKeyPepper", {
        secretName: Names.apiKeyPepperSecret(this.props.stage),
        description: "Pepper of the keyed hash of API key secrets (SDP_API_KEY_PEPPER)",
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(
        this.pepper,
        "SMG4",
        "Every stored API key hash is keyed with this pepper: rotating it would invalidate every issued key, so keys are rotated instead.",
      );
    }
    return this.pepper;
  }

  /** Export archives of offboarded destinations: private, encrypted, versioned, kept. */
  private archiveBucket(): Bucket {
    if (!this.archive) {
      this.archive = new Bucket(this.stack, "ArchiveBucket", {
        bucketName: Names.archiveBucket(this.props.stage),
        encryption: BucketEncryption.KMS_MANAGED,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        versioned: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledge(
        this.archive,
        "S1",
        "Only the offboarding function writes here, once per leaving destination; CloudTrail records those writes, so server access logs would add a second unlogged bucket and nothing more.",
      );
      new CfnOutput(this.stack, "ArchiveBucketName", { value: this.archive.bucketName });
    }
    return this.archive;
  }

  /**
   * `https://<data endpoint>`. The endpoint is account specific and cannot be looked up offline: it is
   * the `sdp:iotDataEndpoint` context value, or else a stack parameter that the deployment must supply.
   */
  private iotDataEndpointUrl(): string {
    if (this.iotDataEndpoint === undefined) {
      const given: unknown = this.stack.node.tryGetContext(IOT_DATA_ENDPOINT_CONTEXT);
      if (given !== undefined && given !== "") {
        const host = String(given)
          .replace(/^https:\/\//, "")
          .replace(/\/$/, "");
        if (!HOST_NAME.test(host)) {
          throw new Error(
            `${IOT_DATA_ENDPOINT_CONTEXT} must be the host name printed by \`aws iot describe-endpoint --endpoint-type iot:Data-ATS\`, not "${String(given)}"`,
          );
        }
        this.iotDataEndpoint = `https://${host}`;
      } else {
        const parameter = new CfnParameter(this.stack, IOT_DATA_ENDPOINT_PARAMETER, {
          type: "String",
          description: `IoT Core data endpoint of the account (aws iot describe-endpoint --endpoint-type iot:Data-ATS); or synthesize with --context ${IOT_DATA_ENDPOINT_CONTEXT}=<host>`,
          allowedPattern: HOST_NAME.source,
          constraintDescription: "must be a host name such as abc123-ats.iot.eu-west-1.amazonaws.com",
        });
        Annotations.of(this.stack).addWarningV2(
          "sdp:iot-data-endpoint",
          `no ${IOT_DATA_ENDPOINT_CONTEXT} context value: the deployment must pass the ${IOT_DATA_ENDPOINT_PARAMETER} parameter`,
        );
        this.iotDataEndpoint = `https://${parameter.valueAsString}`;
      }
    }
    return this.iotDataEndpoint;
  }
}
