export * from "./destination";
export * from "./env";
export * from "./manifest";
export * from "./principal";
export * from "./problem";
export * from "./tenancy";
export * from "./tenants";
export * from "./gateway";
