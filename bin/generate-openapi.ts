import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "@sdp/contracts";
import { serviceManifests } from "../functions/registry";

/** `npm run docs:api`: regenerates docs/api/openapi.json from the manifests' schemas. */
export const OPENAPI_FILE = resolve(dirname(fileURLToPath(import.meta.url)), "../docs/api/openapi.json");

export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(serviceManifests), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
