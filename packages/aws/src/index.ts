export * from "./clients";
export * from "./tables";
