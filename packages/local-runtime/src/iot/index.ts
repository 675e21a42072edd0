export * from "./broker";
export * from "./rules-bridge";
export * from "./topic-policy";
