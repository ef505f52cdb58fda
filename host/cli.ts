#!/usr/bin/env node
// The `mmf` command: `mmf copy SRC DST`, `mmf demo` (the default), `mmf help`, `mmf --version`.
// Exit codes: 0 done, 1 the operation failed, 2 a usage error (which also prints the usage).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { copyFile, DEFAULT_WINDOW } from "./copy.js";
import { runDemo } from "./demo.js";
import { createMmf } from "./mmf.js";
import { formatBytes, progressBar } from "./progress.js";

const USAGE = `usage: mmf [demo]                       map, copy and verify a generated sample file
       mmf copy SRC DST [--window MiB]   copy a file through memory-mapped regions
       mmf help | --help | -h            this text
       mmf --version | -v                the version of wasm-mmf`;

/** Wrong arguments: reported with the usage, exit code 2. */
class UsageError extends Error {}

function version(): string {
  return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        window: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function main(argv: string[]): number {
  const { values, positionals } = parse(argv);
  if (values.version) {
    console.log(version());
    return 0;
  }
  if (values.help || positionals[0] === "help") {
    console.log(USAGE);
    return 0;
  }
  const [command = "demo", ...rest] = positionals;
  const mmf = createMmf();
  switch (command) {
    case "demo":
      if (rest.length > 0) throw new UsageError("demo takes no arguments");
      runDemo(mmf);
      return 0;
    case "copy": {
      if (rest.length !== 2) throw new UsageError("copy takes SRC and DST");
      const mib = values.window === undefined ? DEFAULT_WINDOW / 2 ** 20 : Number(values.window);
      if (!Number.isInteger(mib) || mib <= 0 || mib > 1024) throw new UsageError(`--window must be a whole number of MiB from 1 to 1024, got ${values.window}`);
      const [src, dst] = rest;
      const result = copyFile(mmf, src, dst, { windowBytes: mib * 2 ** 20, onProgress: progressBar(process.stderr, "copy") });
      const rate = result.seconds > 0 ? result.bytes / result.seconds / 1e6 : 0;
      console.log(
        `copied ${result.bytes} bytes (${formatBytes(result.bytes)}) in ${result.seconds.toFixed(3)} s, ${rate.toFixed(1)} MB/s` +
          ` (${formatBytes(result.written)} written, holes and zero pages skipped)`,
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  // One line, no stack trace: the message names the operation and the values.
  const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
  process.stderr.write(`mmf: ${message}\n`);
  if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
