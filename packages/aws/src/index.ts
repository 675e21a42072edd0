export * from "./clients";
export * from "./dead-letters";
export * from "./event-bus";
export * from "./tables";
