export {
  type LocalIssuer,
  type LocalIssuerOptions,
  openLocalIssuer,
  SIGNING_ALGORITHM,
  type SignOptions,
} from "./issuer";
