// @ts-check
// Explicit resource management (`using`: Symbol.dispose on MemoryRegion, MappedFile and Mmf),
// Mmf.close(), and MemoryRegion.stream(), which keeps a region mapped until the stream ends.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { createMmf, openFile, MEM_READ_ONLY, MEM_READWRITE } from "../dist/host/index.js";
import { collectGarbage, openFds, pattern, readBytes, root, tempDir, testCache, testNode, throwsCode, writeFile, tracked } from "./helpers.mjs";

const test = suite("resources");
const track = tracked(test);

const dir = tempDir();
const bytes = pattern(300_001, 5);
const source = writeFile(dir, "source.bin", bytes);

/** Whether this Node parses `using` declarations (Node 24 and later). */
function hasUsing() {
  try {
    new Function("{ using x = null; }");
    return true;
  } catch {
    return false;
  }
}

/**
 * The fixture with `using` compiled by TypeScript (>= 5.2) to calls of Symbol.dispose, which Node 20
 * defines. Kept in node_modules/.cache under the hash of the source and TypeScript's version, so that
 * TypeScript (a second of CPU to load) loads only when either changes; written to a temporary name
 * and renamed, as both backends' runs may compile it at once.
 */
async function compiledWithoutUsing(fixture) {
  const { version } = JSON.parse(readFileSync(join(root, "node_modules/typescript/package.json"), "utf8"));
  const source = readFileSync(fixture, "utf8");
  const key = createHash("sha256").update(version).update("\0").update(source).digest("hex").slice(0, 16);
  const compiled = join(testCache, `using-${key}.mjs`);
  if (!existsSync(compiled)) {
    const { default: ts } = await import("typescript");
    const out = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
    mkdirSync(testCache, { recursive: true });
    const temporary = `${compiled}.${process.pid}`;
    writeFileSync(temporary, out.outputText);
    renameSync(temporary, compiled);
  }
  return { compiled, version };
}

test("`using` closes regions, files and Mmf instances at the end of the block, also when it throws", async () => {
  let fixture = join(root, "test/fixtures/using.mjs");
  if (!hasUsing()) {
    const { compiled, version } = await compiledWithoutUsing(fixture);
    fixture = compiled;
    console.log(`  \`using\` compiled by TypeScript ${version}`);
  } else {
    console.log("  native `using`");
  }
  const path = track.path(writeFile(dir, "using.bin", new Uint8Array(4096)));
  const run = spawnSync(testNode.file, [...testNode.args, fixture, pathToFileURL(join(root, "dist/host/index.js")).href, path], { encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.inside, { fd: true, size: 4, regions: 1 });
  assert.equal(report.afterBlock, { fd: -1, size: 0, regions: 0 });
  assert.equal(report.afterThrow, { message: "thrown inside the block", fd: -1, size: 0, regions: 0 });
  assert.is(report.afterMmf, "ECLOSED");
  assert.is(report.regionOfClosedMmf, "ECLOSED");
  assert.equal([...readBytes(path).subarray(0, 5)], [1, 2, 3, 4, 0], "the MEM_READWRITE region's writes reached the file");
});

test("Mmf.close() closes every live region (writes reach the file) and the host's descriptors; idempotent", () => {
  const fdsBefore = openFds();
  const path = track.path(writeFile(dir, "close.bin", new Uint8Array(10_000)));
  const mmf = track(createMmf());
  const file = track(openFile(path, "r+"));
  const rw = track(mmf.newMemoryRegion(file, MEM_READWRITE, 100, 50));
  const ro = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  rw.data().fill(9);
  mmf.close();
  mmf.close();
  assert.equal(mmf.stats(), { regions: 0, mappedBytes: 0, regionBytes: 0 });
  assert.ok(
    readBytes(path)
      .subarray(100, 150)
      .every((b) => b === 9),
  );
  for (const region of [rw, ro]) {
    throwsCode(() => region.data(), "ECLOSED");
    throwsCode(() => region.flush(), "ECLOSED");
    throwsCode(() => region.stream(), "ECLOSED");
    region.close(); // still fine, and idempotent
    region.close();
  }
  throwsCode(() => mmf.newMemoryRegion(file, MEM_READ_ONLY), "ECLOSED");
  file.close();
  mmf[Symbol.dispose]();
  assert.is(openFds(), fdsBefore);
});

test("region.stream() pipes the exact bytes in chunks; start, end and chunkSize; the region stays open unless asked", async () => {
  const mmf = track(createMmf());
  const file = track(openFile(source));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY, 7, 0));
  for (const options of [{}, { chunkSize: 1 << 20 }, { chunkSize: 4093 }, { start: 5000, end: 123_457, chunkSize: 1000 }, { start: 17, end: 17 }]) {
    const out = join(dir, "stream.bin");
    await pipeline(region.stream(options), createWriteStream(out));
    const want = bytes.subarray(7 + (options.start ?? 0), 7 + (options.end ?? region.size()));
    assert.equal(readBytes(out), want, JSON.stringify(options));
  }
  assert.is(mmf.stats().regions, 1, "the region is still open");
  const chunks = [];
  for await (const chunk of region.stream({ chunkSize: 100_000 })) chunks.push(chunk.length);
  assert.equal(chunks, [100_000, 100_000, 99_994]);
  for (const bad of [{ start: -1 }, { end: region.size() + 1 }, { start: 10, end: 5 }, { chunkSize: 0 }, { chunkSize: 1.5 }, { start: NaN }, { end: 2n }]) {
    // @ts-expect-error: bad options, on purpose
    throwsCode(() => region.stream(bad), "EINVAL");
  }
  region.close();
  throwsCode(() => region.stream(), "ECLOSED");
  file.close();
  mmf.close();
});

test("closeRegion: the stream closes the region when it ends, and when it is destroyed early", async () => {
  const mmf = track(createMmf());
  const file = track(openFile(source));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  await pipeline(region.stream({ closeRegion: true }), createWriteStream(join(dir, "auto.bin")));
  assert.equal(readBytes(join(dir, "auto.bin")), bytes);
  assert.is(region.size(), 0);
  const early = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  const stream = early.stream({ closeRegion: true, chunkSize: 1000 });
  for await (const chunk of stream) {
    assert.is(chunk.length, 1000);
    break; // leaving the loop destroys the stream
  }
  assert.is(early.size(), 0);
  assert.is(mmf.stats().regions, 0);
  file.close();
  mmf.close();
});

test("closing the region while its stream runs fails the stream with ECLOSED, never with zeros", async () => {
  const mmf = track(createMmf());
  const file = track(openFile(source));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  const stream = region.stream({ chunkSize: 1000 });
  stream.once("data", () => region.close());
  const err = await pipeline(stream, createWriteStream(join(dir, "cut.bin"))).then(
    () => undefined,
    (e) => e,
  );
  assert.is(err?.code, "ECLOSED", String(err));
  // The pipeline may destroy the file stream before it even opened the file.
  const written = existsSync(join(dir, "cut.bin")) ? readBytes(join(dir, "cut.bin")) : new Uint8Array(0);
  assert.equal(written, bytes.subarray(0, written.length), "what was written is the file's bytes");
  file.close();
  mmf.close();
});

test("a stream keeps its region mapped while the region object itself is unreachable", async () => {
  const mmf = track(createMmf());
  const file = track(openFile(source));
  const consume = async () => {
    const chunks = [];
    for await (const chunk of mmf.newMemoryRegion(file, MEM_READ_ONLY).stream({ chunkSize: 50_000 })) {
      chunks.push(chunk);
      await collectGarbage(2); // a full collection and a turn for the registry's callbacks, twice
      assert.is(mmf.stats().regions, 1, "still mapped while streaming");
    }
    return Buffer.concat(chunks);
  };
  assert.equal(new Uint8Array(await consume()), bytes);
  await collectGarbage();
  assert.is(mmf.stats().regions, 0, "collected once the stream is done");
  file.close();
  mmf.close();
});

test("the README's rule: data() written to a stream and the region closed at once writes zeros", async () => {
  const mmf = track(createMmf());
  const file = track(openFile(source));
  const region = track(mmf.newMemoryRegion(file, MEM_READ_ONLY));
  const out = join(dir, "zeros.bin");
  const ws = createWriteStream(out);
  ws.write(region.data());
  region.close();
  await new Promise((resolve) => ws.end(resolve));
  assert.is(readBytes(out).length, bytes.length);
  assert.ok(
    readBytes(out).every((b) => b === 0),
    "the write ran after close() unmapped the pages",
  );
  file.close();
  mmf.close();
});

test.run();
