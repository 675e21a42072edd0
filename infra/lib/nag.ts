import { Stack, Validations } from "aws-cdk-lib";
import { type IGrantable, PolicyStatement, type PolicyStatementProps } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";

/**
 * cdk-nag v3 acknowledgments are CDK `Validations` acknowledgments matched by exact id; a wildcard finding
 * is identified by the flattened resource string (`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:...]`).
 * Granting through `grantWithWildcards` acknowledges exactly the wildcard resources of that statement,
 * with the reason written next to the grant, so an unexpected wildcard elsewhere still fails synthesis.
 */

export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

function isRecord(value: CfnValue): value is { [key: string]: CfnValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The same flattening cdk-nag applies to a resolved CloudFormation reference when it names a finding. */
export function flattenReference(value: CfnValue): string {
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (isRecord(value)) {
    const join = value["Fn::Join"];
    if (Array.isArray(join)) {
      const [delimiter, items] = join;
      if (typeof delimiter === "string" && Array.isArray(items))
        return items.map(flattenReference).join(delimiter);
    }
    const sub = value["Fn::Sub"];
    if (sub !== undefined) return flattenReference(sub);
    const getAtt = value["Fn::GetAtt"];
    if (Array.isArray(getAtt) && getAtt.length === 2) {
      const [resource, attribute] = getAtt;
      if (resource !== undefined && attribute !== undefined) {
        return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
      }
    }
    const ref = value.Ref;
    if (ref !== undefined) return `<${flattenReference(ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Adds a statement whose resources must contain wildcards (names known only by prefix, or actions
 * without resource-level permissions) and acknowledges AwsSolutions-IAM5 for exactly those resources.
 */
export function grantWithWildcards(
  grantee: IGrantable & IConstruct,
  props: PolicyStatementProps,
  reason: string,
): PolicyStatement {
  const statement = new PolicyStatement(props);
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
  const stack = Stack.of(grantee);
  for (const resource of props.resources ?? []) {
    const resolved = stack.resolve(resource) as CfnValue;
    const flat = flattenReference(resolved);
    if (!flat.includes("*")) continue;
    // A reference to a resource may be rewritten by synthesis (into a nested stack's parameter), and the
    // finding's id with it; only names and pseudo parameters keep the acknowledgement exact.
    const references = JSON.stringify(resolved).match(/"(Ref|Fn::GetAtt)":\s*\[?"([^"]+)"/g) ?? [];
    const resourceRef = references.find((ref) => !/"Ref":\s*"AWS::/.test(ref));
    if (resourceRef !== undefined) {
      throw new Error(
        `a wildcard grant must build its ARN from names and pseudo parameters, not ${resourceRef}: ${flat}`,
      );
    }
    acknowledge(grantee, `IAM5[Resource::${flat}]`, reason);
  }
  return statement;
}
