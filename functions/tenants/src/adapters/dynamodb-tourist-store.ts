import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { Consent, DirectoryTable, TOURIST_ERASED, TouristKeys } from "@sdp/contracts";
import { newId } from "@sdp/kernel";
import { z } from "zod";
import type { TouristStore } from "../domain/ports";

const Profile = z.object({ email: z.email(), createdAt: z.string(), language: z.string().optional() });
/** Outbox items linger a day, for the publisher to have read them from the stream. */
const OUTBOX_TTL_SECONDS = 86_400;

/**
 * Tourists in the `directory` table: `TOURISTLOGIN#<tenant>#<email>` for sign-in, and everything
 * else under the pseudonymous `TOURIST#<tenant>#<touristId>` partition. An erasure writes its domain
 * event as an outbox item in the transaction that removes the profile; the table's stream publishes it.
 */
export function buildDynamoDbTouristStore(client: DynamoDBDocumentClient, table: string): TouristStore {
  const key = (pk: string, sk: string) => ({ [DirectoryTable.pk]: pk, [DirectoryTable.sk]: sk });
  const profileKey = (tenant: string, touristId: string) =>
    key(TouristKeys.touristPk(tenant, touristId), TouristKeys.profileSk);
  const getProfile = async (tenant: string, touristId: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: table, Key: profileKey(tenant, touristId), ConsistentRead: true }),
    );
    return Item ? Profile.parse(Item) : undefined;
  };
  const partition = async (tenant: string, touristId: string) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
          ExpressionAttributeValues: { ":pk": TouristKeys.touristPk(tenant, touristId) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  return {
    async signUp(login, profile) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...key(TouristKeys.loginPk(login.tenant, login.email), TouristKeys.loginSk),
                    kind: "tourist-login",
                    ...login,
                  },
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...profileKey(login.tenant, login.touristId),
                    kind: "tourist",
                    email: login.email,
                    ...profile,
                  },
                  ConditionExpression: "attribute_not_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // A retried request whose first attempt committed finds its own profile.
        return (await getProfile(login.tenant, login.touristId)) !== undefined;
      }
    },
    profile: getProfile,
    async recordConsent(tenant, touristId, consent) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: table,
                  Key: profileKey(tenant, touristId),
                  ConditionExpression: "attribute_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...key(
                      TouristKeys.touristPk(tenant, touristId),
                      TouristKeys.consentSk(consent.purpose, consent.at),
                    ),
                    kind: "tourist-consent",
                    ...consent,
                  },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException) return false;
        throw error;
      }
    },
    async consents(tenant, touristId) {
      const items = await partition(tenant, touristId);
      return items
        .filter((item) => String(item[DirectoryTable.sk]).startsWith(TouristKeys.consentPrefix))
        .map((item) => Consent.parse(item));
    },
    async erase(tenant, touristId, event) {
      const profile = await getProfile(tenant, touristId);
      if (!profile) return false;
      // The history first (idempotent, in batches); the profile, the login and the event last, together.
      const history = (await partition(tenant, touristId)).filter(
        (item) => item[DirectoryTable.sk] !== TouristKeys.profileSk,
      );
      for (let start = 0; start < history.length; start += 25) {
        await client.send(
          new BatchWriteCommand({
            RequestItems: {
              [table]: history.slice(start, start + 25).map((item) => ({
                DeleteRequest: { Key: key(String(item[DirectoryTable.pk]), String(item[DirectoryTable.sk])) },
              })),
            },
          }),
        );
      }
      const eventId = newId("evt");
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: table,
                  Key: profileKey(tenant, touristId),
                  ConditionExpression: "attribute_exists(#pk)",
                  ExpressionAttributeNames: { "#pk": DirectoryTable.pk },
                },
              },
              {
                Delete: {
                  TableName: table,
                  Key: key(TouristKeys.loginPk(tenant, profile.email), TouristKeys.loginSk),
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: {
                    ...key(TouristKeys.outboxPk(eventId), TouristKeys.outboxSk),
                    kind: "outbox",
                    eventId,
                    source: TOURIST_ERASED.source,
                    detailType: TOURIST_ERASED.detailType,
                    detail: event,
                    expiresAtEpoch: Math.floor(Date.parse(event.erasedAt) / 1000) + OUTBOX_TTL_SECONDS,
                  },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException)
          return (await getProfile(tenant, touristId)) === undefined;
        throw error;
      }
    },
  };
}
