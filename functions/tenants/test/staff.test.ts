import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  GroupExistsException,
  ListUsersInGroupCommand,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "@sdp/aws";
import { type Principal, verifyPassword } from "@sdp/contracts";
import { describe, expect, it } from "vitest";
import { buildCognitoUserDirectory } from "../src/adapters/cognito-user-directory";
import { buildLocalUserDirectory } from "../src/adapters/local-user-directory";
import { Staff } from "../src/domain/staff";
import { activeDestination } from "./support";

type Sent = { name: string; input: Record<string, unknown> };

/** A Cognito client that records every command and answers from a script. */
function recordingCognito(answer: (command: { input: unknown }) => unknown = () => ({})) {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer(command);
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, sent };
}

const POOL = "eu-west-1_pool";
const cognitoUser = (tenant: string) => ({
  Username: "6f1c-sub",
  Enabled: true,
  UserStatus: "FORCE_CHANGE_PASSWORD",
  UserCreateDate: new Date("2030-01-01T00:00:00Z"),
  Attributes: [
    { Name: "sub", Value: "6f1c-sub" },
    { Name: "email", Value: "ana@villamar.example" },
    { Name: "custom:tenant", Value: tenant },
  ],
});

describe("the Cognito user directory", () => {
  it("invites with the destination in custom:tenant and one group per role, plus the destination's group", async () => {
    // Prepare
    const { client, sent } = recordingCognito((command) => {
      if (command instanceof CreateGroupCommand)
        throw new GroupExistsException({ message: "exists", $metadata: {} });
      if (command instanceof AdminCreateUserCommand) return { User: cognitoUser("villamar") };
      return {};
    });
    // Act
    const invited = await buildCognitoUserDirectory(client, POOL).invite("villamar", {
      email: "ana@villamar.example",
      name: "Ana",
      roles: ["operator", "viewer"],
    });
    // Assess
    expect(sent).toEqual([
      {
        name: "CreateGroupCommand",
        input: { UserPoolId: POOL, GroupName: "tenant-villamar", Description: "Staff of villamar" },
      },
      {
        name: "AdminCreateUserCommand",
        input: {
          UserPoolId: POOL,
          Username: "ana@villamar.example",
          UserAttributes: [
            { Name: "email", Value: "ana@villamar.example" },
            { Name: "email_verified", Value: "true" },
            { Name: "custom:tenant", Value: "villamar" },
            { Name: "name", Value: "Ana" },
          ],
          DesiredDeliveryMediums: ["EMAIL"],
        },
      },
      {
        name: "AdminAddUserToGroupCommand",
        input: { UserPoolId: POOL, Username: "6f1c-sub", GroupName: "tenant-villamar" },
      },
      {
        name: "AdminAddUserToGroupCommand",
        input: { UserPoolId: POOL, Username: "6f1c-sub", GroupName: "operator" },
      },
      {
        name: "AdminAddUserToGroupCommand",
        input: { UserPoolId: POOL, Username: "6f1c-sub", GroupName: "viewer" },
      },
    ]);
    expect(invited).toEqual({
      user: {
        userId: "6f1c-sub",
        email: "ana@villamar.example",
        roles: ["operator", "viewer"],
        status: "invited",
        createdAt: "2030-01-01T00:00:00.000Z",
      },
    });
  });

  it("reports an address that has an account as taken", async () => {
    // Prepare
    const { client } = recordingCognito((command) => {
      if (command instanceof AdminCreateUserCommand)
        throw new UsernameExistsException({ message: "exists", $metadata: {} });
      return {};
    });
    // Act
    const attempt = await buildCognitoUserDirectory(client, POOL)
      .invite("villamar", { email: "ana@villamar.example", roles: ["admin"] })
      .catch((error: unknown) => error);
    // Assess
    expect(attempt).toMatchObject({ name: "EmailTakenError" });
  });

  it("changes roles by group membership, and lists the destination's group", async () => {
    // Prepare
    const { client, sent } = recordingCognito((command) => {
      if (command instanceof AdminGetUserCommand)
        return { ...cognitoUser("villamar"), UserAttributes: cognitoUser("villamar").Attributes };
      if (command instanceof AdminListGroupsForUserCommand)
        return { Groups: [{ GroupName: "tenant-villamar" }, { GroupName: "viewer" }] };
      if (command instanceof ListUsersInGroupCommand)
        return { Users: [cognitoUser("villamar"), cognitoUser("elsewhere")] };
      return {};
    });
    const directory = buildCognitoUserDirectory(client, POOL);
    // Act
    const changed = await directory.setRoles("villamar", "6f1c-sub", ["operator"]);
    const listed = await directory.list("villamar");
    // Assess
    expect(sent.filter((c) => c.name.startsWith("AdminAdd") || c.name.startsWith("AdminRemove"))).toEqual([
      {
        name: "AdminAddUserToGroupCommand",
        input: { UserPoolId: POOL, Username: "6f1c-sub", GroupName: "operator" },
      },
      {
        name: "AdminRemoveUserFromGroupCommand",
        input: { UserPoolId: POOL, Username: "6f1c-sub", GroupName: "viewer" },
      },
    ]);
    expect(changed?.roles).toEqual(["operator"]);
    expect(sent).toContainEqual({
      name: "ListUsersInGroupCommand",
      input: { UserPoolId: POOL, GroupName: "tenant-villamar", NextToken: undefined },
    });
    expect(listed.map((m) => m.userId)).toEqual(["6f1c-sub"]);
  });

  it("never touches a person of another destination", async () => {
    // Prepare
    const { client, sent } = recordingCognito((command) => {
      if (command instanceof AdminGetUserCommand)
        return { ...cognitoUser("elsewhere"), UserAttributes: cognitoUser("elsewhere").Attributes };
      return {};
    });
    const directory = buildCognitoUserDirectory(client, POOL);
    // Act
    const roles = await directory.setRoles("villamar", "6f1c-sub", ["admin"]);
    const removed = await directory.remove("villamar", "6f1c-sub");
    // Assess
    expect([roles, removed]).toEqual([undefined, false]);
    expect(sent.map((c) => c.name)).toEqual(["AdminGetUserCommand", "AdminGetUserCommand"]);
    expect(
      sent.some((c) => c.name === AdminDeleteUserCommand.name || c.name === AdminAddUserToGroupCommand.name),
    ).toBe(false);
    expect(AdminRemoveUserFromGroupCommand.name).toBe("AdminRemoveUserFromGroupCommand");
  });
});

describe("staff over the local directory", () => {
  async function world() {
    const { tables, client, tenants, slug } = await activeDestination();
    return { deps: { directory: buildLocalUserDirectory(client, tables.directory), tenants }, slug, tables };
  }

  it("invites with a one-time password stored as a scrypt hash, lists, changes roles and removes", async () => {
    // Prepare
    const { deps, slug, tables } = await world();
    const email = `ana-${crypto.randomUUID().slice(0, 6)}@villamar.example`;
    // Act
    const invited = await Staff.invite(deps, slug, { email, roles: ["viewer"] });
    const duplicate = await Staff.invite(deps, slug, { email, roles: ["admin"] }).catch(
      (error: unknown) => error,
    );
    const listed = await Staff.list(deps, slug);
    const changed = await Staff.changeRoles(
      deps,
      slug,
      invited.user.userId,
      ["operator", "manager"],
      undefined,
    );
    const elsewhere = await Staff.remove(deps, "elsewhere", invited.user.userId, undefined).catch(
      (error: unknown) => error,
    );
    // Assess
    expect(invited).toMatchObject({
      user: { email, roles: ["viewer"], status: "invited" },
      temporaryPassword: expect.any(String),
    });
    expect(duplicate).toMatchObject({ status: 409, errors: [{ field: "body.email" }] });
    expect(listed.items.map((m) => m.email)).toEqual([email]);
    expect(changed.roles).toEqual(["operator", "manager"]);
    expect(elsewhere).toMatchObject({ status: 404 });
    const { Item } = await createDocumentClient().send(
      new GetCommand({ TableName: tables.directory, Key: { pk: `USER#${email}`, sk: "PROFILE" } }),
    );
    expect(String(Item?.passwordHash)).toMatch(/^scrypt\$/);
    expect(verifyPassword(invited.temporaryPassword ?? "", String(Item?.passwordHash))).toBe(true);
    await Staff.remove(deps, slug, invited.user.userId, undefined);
    expect((await Staff.list(deps, slug)).items).toEqual([]);
  });

  it("does not let an administrator drop their own admin role or remove themselves", async () => {
    // Prepare
    const { deps, slug } = await world();
    const invited = await Staff.invite(deps, slug, {
      email: `boss-${crypto.randomUUID().slice(0, 6)}@x.example`,
      roles: ["admin"],
    });
    const self: Principal = {
      kind: "staff",
      id: invited.user.userId,
      tenant: slug,
      roles: ["admin"],
      scopes: [],
    };
    // Act
    const demote = await Staff.changeRoles(deps, slug, invited.user.userId, ["viewer"], self).catch(
      (error: unknown) => error,
    );
    const remove = await Staff.remove(deps, slug, invited.user.userId, self).catch((error: unknown) => error);
    // Assess
    expect(demote).toMatchObject({ status: 409, code: "self-lockout" });
    expect(remove).toMatchObject({ status: 409, code: "self-lockout" });
  });
});
