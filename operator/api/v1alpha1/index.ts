/** Greeter API v1alpha1: schema, types, constants and condition vocabulary. */
export * from "./conditions.ts";
export * from "./constants.ts";
export * from "./default-resources.ts";
export * from "./greeter.ts";
export * from "./quantity.ts";
