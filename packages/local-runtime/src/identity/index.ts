export {
  type LocalIssuer,
  type LocalIssuerOptions,
  openLocalIssuer,
  SIGNING_ALGORITHM,
  type SignOptions,
} from "./issuer";
export { localIdentityEnv } from "./local-env";
export { localDirectorySignIn, type SignedInPerson, type SignIn } from "./sign-in";
