import {
  GATEWAY_PROBLEM_HEADERS,
  GatewayResponses,
  type GatewayResponseType,
  gatewayProblem,
  type RouteDeclaration,
} from "@sdp/contracts";
import { Aws, Duration } from "aws-cdk-lib";
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  Integration,
  IntegrationType,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  RequestAuthorizer,
  type RequestValidator,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { CfnWebACL, CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { Names } from "./model";
import { acknowledge } from "./nag";

export interface DeclaredRoute {
  readonly service: string;
  readonly route: RouteDeclaration;
  readonly handler: IFunction;
}

export interface PlatformApiProps {
  readonly stage: string;
  readonly routes: readonly DeclaredRoute[];
  /** Required when any route has `auth.mode: "authorizer"`. */
  readonly authorizer?: IFunction;
}

/** A resource path as execute-api ARNs write it: every `{param}` segment matches any value. */
export function pathForArn(path: string): string {
  return path.replace(/\{[^}]*\}/g, "*");
}

/** `{slug}` and `{proxy+}` segments of an API Gateway resource path. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+?)\+?\}/g)].flatMap((match) => (match[1] ? [match[1]] : []));
}

/**
 * The REST API (v1, because SME usage plans need it) with every manifest route as a resource and method,
 * the request authorizer in front of authorized routes, and API Gateway's own answers in problem+json.
 */
export class PlatformApi extends Construct {
  readonly api: RestApi;
  readonly authorizer: RequestAuthorizer | undefined;
  readonly methods: readonly Method[];

  constructor(scope: Construct, id: string, props: PlatformApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, "AccessLogs", { retention: RetentionDays.THREE_MONTHS });
    this.api = new RestApi(this, "Api", {
      restApiName: Names.api(props.stage),
      description: "Smart Destination Platform API",
      endpointTypes: [EndpointType.REGIONAL],
      // SME keys are recognised by the authorizer, which hands their usage-plan key back to API Gateway.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      deployOptions: {
        stageName: props.stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request bodies carry personal data; execution logs must not (DESIGN §6).
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    acknowledge(
      this.api,
      "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
      "API Gateway's account-level logging role must carry this AWS-maintained policy; it only writes logs.",
    );

    for (const type of Object.keys(GatewayResponses) as GatewayResponseType[]) {
      this.api.addGatewayResponse(`Response-${type}`, {
        type: ResponseType.of(type),
        statusCode: String(GatewayResponses[type].status),
        responseHeaders: Object.fromEntries(
          Object.entries(GATEWAY_PROBLEM_HEADERS).map(([name, value]) => [name, `'${value}'`]),
        ),
        templates: { "application/json": JSON.stringify(gatewayProblem(type)) },
      });
    }

    const needsAuthorizer = props.routes.some(({ route }) => route.auth.mode === "authorizer");
    if (needsAuthorizer && !props.authorizer)
      throw new Error("routes need the authorizer, but none was given");
    this.authorizer =
      needsAuthorizer && props.authorizer
        ? new RequestAuthorizer(this, "Authorizer", {
            authorizerName: `${Names.api(props.stage)}-authorizer`,
            handler: props.authorizer,
            identitySources: [IdentitySource.header("Authorization")],
            // The principal in the context depends on revocable keys and expiring tokens: never cached.
            resultsCacheTtl: Duration.seconds(0),
          })
        : undefined;

    // Bodies are validated by the handlers' zod schemas; the validator makes API Gateway reject a
    // request missing a declared path parameter before a function is invoked.
    const validator: RequestValidator = this.api.addRequestValidator("Validator", {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    this.methods = props.routes.map(({ service, route, handler }) => {
      const resource = this.api.root.resourceForPath(route.path);
      // A Lambda proxy integration whose invoke permission lives with the function (in its service's
      // nested stack), so the API's stack holds only the API: LambdaIntegration would add one
      // permission per method here.
      const integration = new Integration({
        type: IntegrationType.AWS_PROXY,
        integrationHttpMethod: "POST",
        uri: `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}:lambda:path/2015-03-31/functions/${handler.functionArn}/invocations`,
      });
      handler.addPermission(`Invoke-${route.operationId}`, {
        principal: new ServicePrincipal("apigateway.amazonaws.com"),
        // The stage by name, not by reference: the stage is deployed after the methods that need this.
        sourceArn: this.api.arnForExecuteApi(route.method, pathForArn(route.path), props.stage),
      });
      const method = resource.addMethod(route.method, integration, {
        operationName: route.operationId,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          pathParameters(route.path).map((name) => [`method.request.path.${name}`, true]),
        ),
        ...(route.auth.mode === "authorizer" && this.authorizer
          ? { authorizer: this.authorizer, authorizationType: AuthorizationType.CUSTOM }
          : { authorizationType: AuthorizationType.NONE }),
      });
      if (route.auth.mode === "none") {
        acknowledge(
          method,
          "APIG4",
          `${service} declares ${route.operationId} public (auth: none); the handler serves only public data.`,
        );
      }
      acknowledge(
        method,
        "COG4",
        "Callers are SMEs with API keys as well as Cognito users; the Lambda authorizer verifies both, which a Cognito authorizer cannot.",
      );
      return method;
    });

    this.protectWithWaf(props.stage);
  }

  /**
   * AWS managed rules in front of the stage. Two rules count instead of block: devices and legacy systems
   * post without a User-Agent, and API Gateway already caps bodies at 10 MB, above the rule's 8 KB.
   */
  private protectWithWaf(stage: string): void {
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number, countOnly: readonly string[] = []) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: "AWS",
          name,
          ...(countOnly.length > 0
            ? { ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
            : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    const acl = new CfnWebACL(this, "WebAcl", {
      name: `${Names.api(stage)}-waf`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${Names.api(stage)}-waf`),
      rules: [
        managed("AWSManagedRulesCommonRuleSet", 0, ["NoUserAgent_HEADER", "SizeRestrictions_BODY"]),
        managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
      ],
    });
    new CfnWebACLAssociation(this, "WebAclAssociation", {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
  }
}
