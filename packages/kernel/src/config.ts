import type { z } from "zod";

/**
 * Reads and checks configuration once, at cold start (DESIGN §6). A missing or malformed variable
 * fails the cold start with every problem named, instead of failing a request later.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

/** Lazily loaded configuration: checked on first use, cached for the life of the module. */
export function lazyConfig<S extends z.ZodType>(schema: S): () => z.infer<S> {
  let cached: z.infer<S> | undefined;
  return () => {
    cached ??= loadConfig(schema);
    return cached;
  };
}

/** Reads one variable whose name is computed (e.g. a table's), checked like `loadConfig`. */
export function loadConfigValue<S extends z.ZodType>(
  name: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env[name]);
  if (!result.success) {
    throw new Error(
      `invalid configuration: ${name}: ${result.error.issues.map((issue) => issue.message).join(", ")}`,
    );
  }
  return result.data;
}
