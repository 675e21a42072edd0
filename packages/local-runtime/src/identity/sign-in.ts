import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "@sdp/aws";
import {
  DirectoryRecord,
  DirectoryTable,
  TokenClaims,
  TouristKeys,
  TouristLogin,
  verifyPassword,
} from "@sdp/contracts";

/** Who signed in: the token's subject and the claims Cognito would put in it. */
export interface SignedInPerson {
  readonly subject: string;
  readonly claims: Record<string, unknown>;
}

/** Staff sign in with e-mail and password; a tourist also names the destination of the app. */
export type SignIn = (
  email: string,
  password: string,
  destination?: string,
) => Promise<SignedInPerson | undefined>;

const DUMMY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/**
 * Checks an e-mail and password against the local user directory (the platform table the tenants
 * service keeps staff in), and names the claims a Cognito ID token of that person carries.
 */
export function localDirectorySignIn(table: string): SignIn {
  const client = createDocumentClient();
  const read = async (pk: string, sk: string) => {
    try {
      const { Item } = await client.send(
        new GetCommand({
          TableName: table,
          Key: { [DirectoryTable.pk]: pk, [DirectoryTable.sk]: sk },
          ConsistentRead: true,
        }),
      );
      return Item;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  return async (email, password, destination) => {
    if (destination !== undefined) {
      // A tourist: the login of this destination's app; the subject is the pseudonymous tourist id.
      const login = TouristLogin.safeParse(
        await read(TouristKeys.loginPk(destination, email), TouristKeys.loginSk),
      );
      if (!login.success) {
        verifyPassword(password, DUMMY_HASH);
        return undefined;
      }
      if (!verifyPassword(password, login.data.passwordHash)) return undefined;
      return {
        subject: login.data.touristId,
        claims: { [TokenClaims.tenant]: login.data.tenant, [TokenClaims.principalKind]: "tourist" },
      };
    }
    const parsed = DirectoryRecord.safeParse(
      await read(DirectoryTable.userPk(email), DirectoryTable.profileSk),
    );
    if (!parsed.success || parsed.data.status === "disabled") {
      // The same work as a real check, so a missing account takes as long as a wrong password.
      verifyPassword(password, DUMMY_HASH);
      return undefined;
    }
    const person = parsed.data;
    if (!verifyPassword(password, person.passwordHash)) return undefined;
    return {
      subject: person.userId,
      claims: {
        [TokenClaims.groups]: person.roles,
        [TokenClaims.tenant]: person.tenant,
        email: person.email,
      },
    };
  };
}
