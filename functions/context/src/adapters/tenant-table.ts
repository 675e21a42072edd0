import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { NonexistentTenantError } from "../domain/ports";

export function isMissingTable(error: unknown): boolean {
  return (
    error instanceof ResourceNotFoundException ||
    (error instanceof Error && error.name === "ResourceNotFoundException")
  );
}

/**
 * Runs one call on a destination's table. The table exists exactly when the destination does, so a
 * missing table answers NonexistentTenant instead of a 500.
 */
export async function onTenantTable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isMissingTable(error)) throw new NonexistentTenantError(error);
    throw error;
  }
}
