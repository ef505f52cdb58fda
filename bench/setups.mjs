// The ways a Wasm module gets at a file's bytes, each as { name, map(size) -> address, close() }
// around one instance of the benchmark guest (bench/guest.ts).
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { WASI } from "node:wasi";
import { basename, dirname } from "node:path";
import { instantiate } from "@assemblyscript/loader";
import { MmfHost } from "../dist/host/index.js";

const guestWasm = readFileSync(new URL("../dist/bench/guest.wasm", import.meta.url));
const lineCountWasm = readFileSync(new URL("../dist/examples/line-count.wasm", import.meta.url));
const guestWasiWasm = readFileSync(new URL("../dist/bench/guest-wasi.wasm", import.meta.url));

/** The guest on an MmfHost: "native" maps the file's pages, "emulated" copies them. */
export async function mmfGuest(path, backend) {
  const host = new MmfHost({ backend });
  const { instance, exports } = await instantiate(guestWasm, { mmf: host.imports });
  host.attach(instance);
  const handle = host.grant(path, "r+");
  return {
    exports,
    handle,
    map: (size, writable = false) => {
      const addr = exports.mapHandle(handle, writable, 0n, BigInt(size)) >>> 0;
      if (addr === 0) throw new Error(`the ${backend} guest could not map ${size} bytes of ${path}`);
      return addr;
    },
    unmap: () => exports.closeRegion(),
    dispose: () => host.close(),
  };
}

/** The line-count example's guest on an MmfHost with the file's folder preopened: count(windowMiB) -> lines. */
export async function lineCountGuest(path) {
  const host = new MmfHost({ preopens: { "/data": dirname(path) } });
  const { instance, exports } = await instantiate(lineCountWasm, { mmf: host.imports });
  host.attach(instance);
  const guestPath = exports.__pin(exports.__newString(`/data/${basename(path)}`));
  return {
    count: (windowMiB) => exports.countLines(guestPath, BigInt(windowMiB) << 20n),
    dispose: () => host.close(),
  };
}

/** The pure-WASI build under node:wasi: its "map" reads the file with fd_pread. */
export async function wasiGuest(path) {
  const wasi = new WASI({ version: "preview1", preopens: { "/bench": dirname(path) }, returnOnExit: true });
  const { instance, exports } = await instantiate(guestWasiWasm, { wasi_snapshot_preview1: wasi.wasiImport });
  wasi.initialize(instance);
  const guestPath = exports.__pin(exports.__newString(`/bench/${basename(path)}`));
  return {
    exports,
    map: (size) => exports.mapPath(guestPath, false, 0n, BigInt(size)) >>> 0,
    unmap: () => exports.closeRegion(),
    dispose: () => exports.__unpin(guestPath),
  };
}

/** Copy-in: a fresh guest whose memory grows by the file's size and gets it by fs.readSync. */
export async function copyInGuest(path) {
  const host = new MmfHost();
  const { instance, exports } = await instantiate(guestWasm, { mmf: host.imports });
  host.attach(instance);
  return {
    exports,
    map: (size) => {
      const addr = exports.reserve(size) >>> 0;
      if (addr === 0) throw new Error("copy-in: no room in the Wasm memory");
      const view = new Uint8Array(exports.memory.buffer, addr, size);
      const fd = openSync(path, "r");
      for (let done = 0; done < size; ) done += readSync(fd, view, done, Math.min(size - done, 1 << 30), done);
      closeSync(fd);
      return addr;
    },
    unmap: () => {},
    dispose: () => host.close(),
  };
}
