import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import type { FunctionSpec } from "./model";

/** Node.js 24 (the Lambda runtime, `LAMBDA_RUNTIME`) as esbuild's target. */
const TARGET = "node24";

/**
 * Every handler bundled in one esbuild run, on first use. NodejsFunction runs esbuild once per function,
 * one after another — minutes for the platform's eighty-odd handlers; one build with an entry point per
 * handler parses shared modules once and takes seconds. Each entry is still a standalone bundle (no code
 * splitting): `<function name>/index.mjs`, ESM for Node.js 24, minified, without the AWS SDK v3 that the
 * runtime provides, with a `require` for the CommonJS dependencies that call it.
 */
export class HandlerBundles {
  private outdir: string | undefined;

  constructor(
    private readonly root: string,
    private readonly specs: readonly FunctionSpec[],
  ) {}

  /** The directory holding the function's `index.mjs`. */
  directoryFor(spec: FunctionSpec): string {
    return join(this.build(), spec.name);
  }

  private build(): string {
    if (this.outdir) return this.outdir;
    const outdir = mkdtempSync(join(tmpdir(), "sdp-handlers-"));
    // Asset staging copies each directory into the cloud assembly during synthesis, before exit.
    process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
    buildSync({
      absWorkingDir: this.root,
      entryPoints: Object.fromEntries(this.specs.map((spec) => [`${spec.name}/index`, spec.file])),
      outdir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: TARGET,
      minify: true,
      sourcemap: false,
      // The runtime ships SDK v3; bundling it would add megabytes to every cold start.
      external: ["@aws-sdk/*"],
      mainFields: ["module", "main"],
      // Some dependencies are CommonJS and call require(); ESM output has no require unless given one.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: "warning",
    });
    this.outdir = outdir;
    return outdir;
  }
}
