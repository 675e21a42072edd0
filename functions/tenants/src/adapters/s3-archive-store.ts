import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ArchiveStore } from "../domain/ports";

/**
 * Archives as objects in the archive bucket. The body is assembled in memory and sent with one
 * PutObject carrying its SHA-256, so S3 rejects a corrupted upload and an object appears only whole.
 * (Single PUTs stop at 5 GB; a destination beyond that needs a multipart upload.)
 */
export function buildS3ArchiveStore(client: S3Client, bucket: string): ArchiveStore {
  return {
    async write(key, lines) {
      const chunks: Buffer[] = [];
      for await (const line of lines) chunks.push(Buffer.from(line, "utf8"));
      const body = Buffer.concat(chunks);
      const digest = createHash("sha256").update(body).digest();
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: "application/jsonl",
          ChecksumSHA256: digest.toString("base64"),
          ServerSideEncryption: "aws:kms",
        }),
      );
      return { location: `s3://${bucket}/${key}`, bytes: body.length, sha256: digest.toString("hex") };
    },
  };
}
