export { discardBody, readBody } from "./body";
export {
  type ApiIdentity,
  type AuthorizerEventInput,
  type AuthorizerGrant,
  buildAuthorizerEvent,
  buildProxyEvent,
  formatRequestTime,
  isTextContentType,
  type MatchedResource,
  methodArn,
  type ProxyEventInput,
  type RequestFacts,
} from "./events";
export {
  type FrontAuthorizer,
  type FrontRoute,
  type HttpFrontOptions,
  type HttpFrontStats,
  INTEGRATION_TIMEOUT_MS,
  type RunningHttpFront,
  startHttpFront,
} from "./front";
export { AuthorizerResult, isInvokeAllowed } from "./policy";
export { type RouteMatch, RouteTable } from "./routes";
