// The `mmf` command's logic: `mmf copy SRC DST`, `mmf demo` (the default), `mmf help`, `mmf --version`,
// run on an argument list and two output streams; host/cli.ts runs it on the process's own.
// Exit codes: 0 done, 1 the operation failed, 2 a usage error (which also prints the usage).
// The host (the core module, the native helper) is imported only once the arguments are valid:
// help, --version and usage errors answer without loading it.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE = `usage: mmf [demo] [--size MiB]            map, copy and verify a generated sample file (default 24 MiB)
       mmf copy SRC DST [--window MiB]     copy a file through memory-mapped regions
       mmf help | --help | -h              this text
       mmf --version | -v                  the version of wasm-mmf`;

/** Where the command writes: process.stdout and process.stderr, or anything that takes text. */
export interface CommandOutput {
  write(text: string): unknown;
  /** A terminal gets a progress bar. */
  isTTY?: boolean;
}

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
        size: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The whole number of MiB from 1 to 1024 given as `--name`, or undefined when it is absent. */
function mebibytes(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib <= 0 || mib > 1024) throw new UsageError(`--${name} must be a whole number of MiB from 1 to 1024, got ${value}`);
  return mib;
}

async function main(argv: string[], stdout: CommandOutput, stderr: CommandOutput): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.version) {
    stdout.write(`${version()}\n`);
    return 0;
  }
  if (values.help || positionals[0] === "help") {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command = "demo", ...rest] = positionals;
  switch (command) {
    case "demo": {
      if (rest.length > 0) throw new UsageError("demo takes no arguments");
      if (values.window !== undefined) throw new UsageError("--window is an option of copy, not of demo");
      const sizeMiB = mebibytes("size", values.size) ?? 24;
      const [{ createMmf }, { runDemo }] = await Promise.all([import("./mmf.js"), import("./demo.js")]);
      runDemo(createMmf(), { size: sizeMiB * 2 ** 20, log: (line) => stdout.write(`${line}\n`) });
      return 0;
    }
    case "copy": {
      if (rest.length !== 2) throw new UsageError("copy takes SRC and DST");
      if (values.size !== undefined) throw new UsageError("--size is an option of demo, not of copy");
      const windowMiB = mebibytes("window", values.window);
      const [{ createMmf }, { copyFile, DEFAULT_WINDOW }, { formatBytes, progressBar }] = await Promise.all([
        import("./mmf.js"),
        import("./copy.js"),
        import("./progress.js"),
      ]);
      const [src, dst] = rest;
      const windowBytes = windowMiB === undefined ? DEFAULT_WINDOW : windowMiB * 2 ** 20;
      const result = copyFile(createMmf(), src, dst, { windowBytes, onProgress: progressBar(stderr, "copy") });
      const rate = result.seconds > 0 ? result.bytes / result.seconds / 1e6 : 0;
      stdout.write(
        `copied ${result.bytes} bytes (${formatBytes(result.bytes)}) in ${result.seconds.toFixed(3)} s, ${rate.toFixed(1)} MB/s` +
          ` (${formatBytes(result.written)} written, holes and zero pages skipped)\n`,
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/** Runs `mmf ...argv`, writing to `stdout` and `stderr`; resolves to the exit code (it never rejects). */
export async function mmfCommand(argv: string[], stdout: CommandOutput, stderr: CommandOutput): Promise<number> {
  try {
    return await main(argv, stdout, stderr);
  } catch (err) {
    // One line, no stack trace: the message names the operation and the values.
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    stderr.write(`mmf: ${message}\n`);
    if (err instanceof UsageError) stderr.write(`${USAGE}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
