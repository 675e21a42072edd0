import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  type AdminCreateUserCommandOutput,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  GroupExistsException,
  ListUsersInGroupCommand,
  UserNotFoundException,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { type StaffMember, StaffRole, TokenClaims } from "@sdp/contracts";
import { EmailTakenError, type UserDirectory } from "../domain/ports";

/** The group holding a destination's staff, so they can be listed (Cognito cannot filter on custom attributes). */
export const tenantGroup = (tenant: string) => `tenant-${tenant}`;

const attribute = (attributes: readonly AttributeType[] | undefined, name: string) =>
  attributes?.find((candidate) => candidate.Name === name)?.Value;

const STATUS: Record<string, StaffMember["status"]> = {
  FORCE_CHANGE_PASSWORD: "invited",
  CONFIRMED: "active",
};

/**
 * Staff in the Cognito user pool (DESIGN §5): the destination in `custom:tenant`, roles as groups (the
 * `cognito:groups` claim the authorizer reads), and a per-destination group to list them. Cognito
 * mails the temporary password; nothing secret comes back.
 */
export function buildCognitoUserDirectory(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): UserDirectory {
  const rolesOf = async (username: string): Promise<StaffRole[]> => {
    const roles: StaffRole[] = [];
    let next: string | undefined;
    do {
      const page = await client.send(
        new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username, NextToken: next }),
      );
      for (const group of page.Groups ?? []) {
        const role = StaffRole.safeParse(group.GroupName);
        if (role.success) roles.push(role.data);
      }
      next = page.NextToken;
    } while (next);
    return roles;
  };
  const toMember = (user: {
    attributes: readonly AttributeType[] | undefined;
    status: string | undefined;
    enabled: boolean | undefined;
    created: Date | undefined;
    username: string;
    roles: StaffRole[];
  }): StaffMember => {
    const name = attribute(user.attributes, "name");
    return {
      userId: attribute(user.attributes, "sub") ?? user.username,
      email: attribute(user.attributes, "email") ?? "",
      ...(name ? { name } : {}),
      roles: user.roles,
      status: user.enabled === false ? "disabled" : (STATUS[user.status ?? ""] ?? "active"),
      createdAt: (user.created ?? new Date(0)).toISOString(),
    };
  };
  /** The person if they are staff of this destination; a person of another destination is not found. */
  const find = async (tenant: string, userId: string) => {
    try {
      const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: userId }));
      if (attribute(user.UserAttributes, TokenClaims.tenant) !== tenant || !user.Username) return undefined;
      return { username: user.Username, user };
    } catch (error) {
      if (error instanceof UserNotFoundException) return undefined;
      throw error;
    }
  };
  const addToGroup = (username: string, group: string) =>
    client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }),
    );
  return {
    async invite(tenant, person) {
      try {
        await client.send(
          new CreateGroupCommand({
            UserPoolId: userPoolId,
            GroupName: tenantGroup(tenant),
            Description: `Staff of ${tenant}`,
          }),
        );
      } catch (error) {
        if (!(error instanceof GroupExistsException)) throw error;
      }
      let created: AdminCreateUserCommandOutput;
      try {
        created = await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: person.email,
            UserAttributes: [
              { Name: "email", Value: person.email },
              { Name: "email_verified", Value: "true" },
              { Name: TokenClaims.tenant, Value: tenant },
              ...(person.name ? [{ Name: "name", Value: person.name }] : []),
            ],
            DesiredDeliveryMediums: ["EMAIL"],
          }),
        );
      } catch (error) {
        if (error instanceof UsernameExistsException) throw new EmailTakenError({ cause: error });
        throw error;
      }
      const username = created.User?.Username ?? person.email;
      for (const group of [tenantGroup(tenant), ...person.roles]) await addToGroup(username, group);
      return {
        user: toMember({
          attributes: created.User?.Attributes,
          status: created.User?.UserStatus,
          enabled: created.User?.Enabled,
          created: created.User?.UserCreateDate,
          username,
          roles: [...person.roles],
        }),
      };
    },
    async list(tenant) {
      const members: StaffMember[] = [];
      let next: string | undefined;
      do {
        const page = await client.send(
          new ListUsersInGroupCommand({
            UserPoolId: userPoolId,
            GroupName: tenantGroup(tenant),
            NextToken: next,
          }),
        );
        for (const user of page.Users ?? []) {
          if (!user.Username || attribute(user.Attributes, TokenClaims.tenant) !== tenant) continue;
          members.push(
            toMember({
              attributes: user.Attributes,
              status: user.UserStatus,
              enabled: user.Enabled,
              created: user.UserCreateDate,
              username: user.Username,
              roles: await rolesOf(user.Username),
            }),
          );
        }
        next = page.NextToken;
      } while (next);
      return members;
    },
    async get(tenant, userId) {
      const found = await find(tenant, userId);
      if (!found) return undefined;
      const { user, username } = found;
      return toMember({
        attributes: user.UserAttributes,
        status: user.UserStatus,
        enabled: user.Enabled,
        created: user.UserCreateDate,
        username,
        roles: await rolesOf(username),
      });
    },
    async setRoles(tenant, userId, roles) {
      const found = await find(tenant, userId);
      if (!found) return undefined;
      const current = await rolesOf(found.username);
      for (const role of roles.filter((role) => !current.includes(role)))
        await addToGroup(found.username, role);
      for (const role of current.filter((role) => !roles.includes(role))) {
        await client.send(
          new AdminRemoveUserFromGroupCommand({
            UserPoolId: userPoolId,
            Username: found.username,
            GroupName: role,
          }),
        );
      }
      const { user, username } = found;
      return toMember({
        attributes: user.UserAttributes,
        status: user.UserStatus,
        enabled: user.Enabled,
        created: user.UserCreateDate,
        username,
        roles: [...roles],
      });
    },
    async remove(tenant, userId) {
      const found = await find(tenant, userId);
      if (!found) return false;
      await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: found.username }));
      return true;
    },
  };
}
