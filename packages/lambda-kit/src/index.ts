export * from "./audit";
export * from "./errors";
export * from "./principal";
export * from "./request";
export * from "./response";
export * from "./route";
