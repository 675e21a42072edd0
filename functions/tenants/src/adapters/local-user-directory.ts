import { randomBytes, randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { DirectoryRecord, DirectoryTable, hashPassword, type StaffMember } from "@sdp/contracts";
import { EmailTakenError, type UserDirectory } from "../domain/ports";

function member(record: DirectoryRecord): StaffMember {
  const { passwordHash: _hash, tenant: _tenant, ...shown } = record;
  return shown;
}

/**
 * The local stand-in for the Cognito user pool: people in the platform table `directory`, with a
 * scrypt hash of a password the local issuer's sign-in checks. It sends no mail, so an invitation
 * answers with the one-time password instead.
 */
export function buildLocalUserDirectory(client: DynamoDBDocumentClient, table: string): UserDirectory {
  const find = async (tenant: string, userId: string): Promise<DirectoryRecord | undefined> => {
    const { Items } = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: DirectoryTable.byTenantIndex,
        KeyConditionExpression: "#tenant = :tenant AND #userId = :userId",
        ExpressionAttributeNames: { "#tenant": DirectoryTable.tenant, "#userId": DirectoryTable.userId },
        ExpressionAttributeValues: { ":tenant": tenant, ":userId": userId },
      }),
    );
    const [found] = Items ?? [];
    return found ? DirectoryRecord.parse(found) : undefined;
  };
  const key = (email: string) => ({
    [DirectoryTable.pk]: DirectoryTable.userPk(email),
    [DirectoryTable.sk]: DirectoryTable.profileSk,
  });
  return {
    async invite(tenant, person) {
      const temporaryPassword = randomBytes(18).toString("base64url");
      const record: DirectoryRecord = {
        userId: randomUUID(),
        email: person.email,
        ...(person.name ? { name: person.name } : {}),
        tenant,
        roles: [...person.roles],
        status: "invited",
        passwordHash: hashPassword(temporaryPassword),
        createdAt: new Date().toISOString(),
      };
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { ...key(person.email), kind: "staff", ...record },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new EmailTakenError({ cause: error });
        throw error;
      }
      return { user: member(record), temporaryPassword };
    },
    async list(tenant) {
      const records: StaffMember[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: DirectoryTable.byTenantIndex,
            KeyConditionExpression: "#tenant = :tenant",
            ExpressionAttributeNames: { "#tenant": DirectoryTable.tenant },
            ExpressionAttributeValues: { ":tenant": tenant },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        records.push(...(page.Items ?? []).map((item) => member(DirectoryRecord.parse(item))));
        start = page.LastEvaluatedKey;
      } while (start);
      return records;
    },
    async get(tenant, userId) {
      const found = await find(tenant, userId);
      return found ? member(found) : undefined;
    },
    async setRoles(tenant, userId, roles) {
      const found = await find(tenant, userId);
      if (!found) return undefined;
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: key(found.email),
            UpdateExpression: "SET #roles = :roles",
            ConditionExpression: "#tenant = :tenant AND #userId = :userId",
            ExpressionAttributeNames: {
              "#roles": "roles",
              "#tenant": DirectoryTable.tenant,
              "#userId": DirectoryTable.userId,
            },
            ExpressionAttributeValues: { ":roles": [...roles], ":tenant": tenant, ":userId": userId },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
      return member({ ...found, roles: [...roles] });
    },
    async remove(tenant, userId) {
      const found = await find(tenant, userId);
      if (!found) return false;
      try {
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: key(found.email),
            ConditionExpression: "#tenant = :tenant AND #userId = :userId",
            ExpressionAttributeNames: { "#tenant": DirectoryTable.tenant, "#userId": DirectoryTable.userId },
            ExpressionAttributeValues: { ":tenant": tenant, ":userId": userId },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
