import { Problems } from "@sdp/contracts";
import { z } from "zod";

const Cursor = z.object({ sk: z.string().min(1).max(300) });

/**
 * Opaque page cursors that carry only the sort key of the last item. The partition is always rebuilt
 * from the caller's destination, so a cursor forged from another destination's key reads nothing of it.
 */
export function encodeSortCursor(sk: unknown): string | undefined {
  return typeof sk === "string" ? Buffer.from(JSON.stringify({ sk })).toString("base64url") : undefined;
}

export function decodeSortCursor(cursor: string, field = "query.cursor"): string {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).sk;
  } catch {
    throw Problems.validation([{ field, reason: "is not a cursor this API returned" }]);
  }
}
