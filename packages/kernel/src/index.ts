export * from "./clock";
export * from "./config";
export * from "./context";
export * from "./ids";
export * from "./logger";
