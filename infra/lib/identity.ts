import { PLATFORM_ADMIN_GROUP, StaffRole, TokenClaims } from "@sdp/contracts";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from "aws-cdk-lib/aws-cognito";
import { Construct } from "constructs";
import { Names } from "./model";

const customAttribute = (claim: string) => claim.replace(/^custom:/, "");

/**
 * The people who operate the platform and its destinations (DESIGN §5): platform administrators and
 * destination staff, in one pool, told apart by groups and by the `tenant` attribute.
 */
export class StaffIdentity extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  /** The `iss` of the pool's tokens and where their signing keys are published. */
  readonly issuer: string;
  readonly jwksUrl: string;

  constructor(scope: Construct, id: string, props: { readonly stage: string }) {
    super(scope, id);
    const tenant = customAttribute(TokenClaims.tenant);
    const kind = customAttribute(TokenClaims.principalKind);
    this.userPool = new UserPool(this, "Pool", {
      userPoolName: Names.userPool(props.stage),
      // Staff are invited by a platform or destination administrator, never self-registered.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // These accounts administer tenants and money flows: a second factor is not optional.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      customAttributes: {
        // A tenant value is a slug (DESIGN §4); platform administrators have none.
        [tenant]: new StringAttribute({ minLen: 3, maxLen: 40, mutable: true }),
        [kind]: new StringAttribute({ minLen: 1, maxLen: 32, mutable: true }),
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const group of [PLATFORM_ADMIN_GROUP, ...StaffRole.options]) {
      this.userPool.addGroup(`Group-${group}`, {
        groupName: group,
        description: `Principals with role ${group}`,
      });
    }
    this.client = this.userPool.addClient("StaffClient", {
      userPoolClientName: `${Names.userPool(props.stage)}-console`,
      authFlows: { userSrp: true },
      generateSecret: false,
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes(tenant, kind),
      // The tenant and kind decide what a token may reach; users must not be able to rewrite them.
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
    });
    this.issuer = this.userPool.userPoolProviderUrl;
    this.jwksUrl = `${this.userPool.userPoolProviderUrl}/.well-known/jwks.json`;
  }
}
