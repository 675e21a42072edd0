import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { ArchiveStore } from "../domain/ports";

/**
 * Archives as files under one directory (the local stand-in for the archive bucket). A file appears
 * only complete: it is written under a temporary name and renamed.
 */
export function buildFileArchiveStore(directory: string): ArchiveStore {
  const root = resolve(directory);
  return {
    async write(key, lines) {
      const path = resolve(root, key);
      if (!path.startsWith(`${root}${sep}`))
        throw new Error(`archive key ${key} leaves the archive directory`);
      await mkdir(dirname(path), { recursive: true });
      const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
      const hash = createHash("sha256");
      let bytes = 0;
      const out = createWriteStream(temporary, { mode: 0o600 });
      try {
        for await (const line of lines) {
          const chunk = Buffer.from(line, "utf8");
          hash.update(chunk);
          bytes += chunk.length;
          if (!out.write(chunk)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
        await rename(temporary, path);
      } catch (error) {
        out.destroy();
        await rm(temporary, { force: true });
        throw error;
      }
      return { location: pathToFileURL(path).href, bytes, sha256: hash.digest("hex") };
    },
  };
}
