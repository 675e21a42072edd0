export * from "./clients";
export * from "./dead-letters";
export * from "./tables";
