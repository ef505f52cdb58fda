// @ts-check
// Finds the Python that runs the Wasmtime suites and benchmarks: $MMF_PYTHON, else the project's
// .venv-wasmtime (made by .ci/run, see README), else python3, as long as it can import wasmtime.
// Without one, says why, so that a run can report a skip rather than pass silently.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
const SETUP = "python3 -m venv .venv-wasmtime && .venv-wasmtime/bin/pip install -r host/wasmtime/requirements.txt";

/** { python, version } for a Python with the wasmtime package, or { skip: reason }. */
export function wasmtimePython() {
  const venv = `${root}.venv-wasmtime/bin/python`;
  const python = process.env.MMF_PYTHON || (existsSync(venv) ? venv : "python3");
  const probe = spawnSync(python, ["-c", "import importlib.metadata as m, wasmtime; print(m.version('wasmtime'))"], { encoding: "utf8" });
  if (probe.error)
    return { skip: `no Python (${python}: ${/** @type {NodeJS.ErrnoException} */ (probe.error).code ?? probe.error.message}); set one up with: ${SETUP}` };
  if (probe.status !== 0) return { skip: `${python} cannot import the wasmtime package; set it up with: ${SETUP}` };
  return { python, version: probe.stdout.trim() };
}

/** Whether dist/wasmtime/libmmf_wasmtime.so (npm run build:wasmtime) is there. */
export function wasmtimeLibraryBuilt() {
  return existsSync(`${root}dist/wasmtime/libmmf_wasmtime.so`);
}
