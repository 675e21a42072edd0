import type { KeyAttribute, TableDeclaration, TableWrite } from "@sdp/contracts";
import { RemovalPolicy } from "aws-cdk-lib";
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
} from "aws-cdk-lib/aws-dynamodb";
import type { Construct } from "constructs";

const attributeTypes: Record<KeyAttribute["type"], AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};

const key = (attribute: KeyAttribute): Attribute => ({
  name: attribute.name,
  type: attributeTypes[attribute.type],
});

/** What a table declaration becomes in CloudFormation, wherever it is created. */
export type TableShape = Omit<TableDeclaration, "scope">;

export interface DeclaredTableProps {
  readonly tableName: string;
  readonly shape: TableShape;
  /**
   * Platform tables outlive their stack; a destination's tables leave with the destination (after export,
   * DESIGN §4), and DynamoDB keeps a 35-day system backup of a deleted table that had PITR enabled.
   */
  readonly lifecycle: "retain" | "leaves-with-destination";
}

/** An on-demand table with point-in-time recovery, shaped by a manifest declaration. */
export function declaredTable(scope: Construct, id: string, props: DeclaredTableProps): Table {
  const { shape } = props;
  const retain = props.lifecycle === "retain";
  const table = new Table(scope, id, {
    tableName: props.tableName,
    partitionKey: key(shape.partitionKey),
    ...(shape.sortKey ? { sortKey: key(shape.sortKey) } : {}),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: retain,
    removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    ...(shape.stream ? { stream: StreamViewType[shape.stream] } : {}),
    ...(shape.ttlAttribute ? { timeToLiveAttribute: shape.ttlAttribute } : {}),
  });
  for (const index of shape.indexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: key(index.partitionKey),
      ...(index.sortKey ? { sortKey: key(index.sortKey) } : {}),
      projectionType: index.projection === "ALL" ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}

/** The data-plane actions a service's handlers use on their own tables (transactions need the item actions). */
export const TABLE_DATA_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DeleteItem",
  "dynamodb:DescribeTable",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:UpdateItem",
];

/** What Lambda needs on a DynamoDB stream to poll it for an event source mapping. */
export const TABLE_STREAM_ACTIONS = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
];

/** What reading another service's table allows (`TableReadDeclaration`): no write of any kind. */
export const TABLE_READ_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DescribeTable",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
];

/** The one action each declared write on another service's table adds (transactions authorize per item). */
export const TABLE_WRITE_ACTIONS: Readonly<Record<TableWrite, readonly string[]>> = {
  update: ["dynamodb:UpdateItem"],
  put: ["dynamodb:PutItem"],
};
