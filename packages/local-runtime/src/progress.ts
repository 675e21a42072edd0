/**
 * Start-up progress for people: one line per step with its duration, and a live elapsed-time counter
 * on a terminal while a slow step (DynamoDB Local's JVM, provisioning) runs.
 */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
}

export function consoleProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  return {
    async step(label, work) {
      if (quiet) return work();
      const started = Date.now();
      const interactive = stream.isTTY === true;
      const timer = interactive
        ? setInterval(
            () => stream.write(`\r  … ${label} (${((Date.now() - started) / 1000).toFixed(1)}s)`),
            100,
          )
        : undefined;
      if (!interactive) stream.write(`  … ${label}\n`);
      try {
        const result = await work();
        if (interactive) stream.write("\r\x1b[2K");
        stream.write(`  ✓ ${label} (${Date.now() - started} ms)\n`);
        return result;
      } catch (error) {
        if (interactive) stream.write("\r\x1b[2K");
        stream.write(`  ✗ ${label}\n`);
        throw error;
      } finally {
        clearInterval(timer);
      }
    },
  };
}
