// Writes every copy of the `mmf` ABI's numbers from its one source, abi/abi.json: the
// AssemblyScript constants (assembly/abi.ts, assembly/errors.ts), the TypeScript ones
// (host/abi.ts), the C header shared by the native helper, the Wasmtime library and C guests
// (include/mmf_abi.h), the Wasmtime host's Python module (host/wasmtime/mmf_wasmtime/abi.py) and
// the tables of docs/abi.md (between <!-- abi:NAME --> markers). `npm run build` runs it.
//   node scripts/gen-abi.mjs             rewrite the files in place
//   node scripts/gen-abi.mjs --out DIR   write them under DIR instead (test/abi.test.mjs compares)
//   node scripts/gen-abi.mjs --check     exit 1 and name the files that are not current
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = "abi/abi.json";
const BANNER = `Generated from ${SOURCE} by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).`;

/** Throws unless the table is well formed: unique names and numbers, flags single bits, advice 0..n-1. */
function validate(abi) {
  const unique = (list, key, what) => {
    const seen = new Set();
    for (const item of list) {
      if (seen.has(item[key])) throw new Error(`${SOURCE}: ${what} ${item[key]} appears twice`);
      seen.add(item[key]);
    }
  };
  for (const [group, key] of [
    ["errors", "name"],
    ["errors", "code"],
    ["mapFlags", "name"],
    ["mapFlags", "value"],
    ["openModes", "name"],
    ["openModes", "value"],
    ["advice", "name"],
    ["advice", "value"],
    ["regionModes", "value"],
    ["imports", "name"],
    ["limits", "name"],
  ]) {
    unique(abi[group], key, `${group} ${key}`);
  }
  for (const e of abi.errors) if (!(Number.isInteger(e.code) && e.code > 0)) throw new Error(`${SOURCE}: error ${e.name}: code must be a positive integer`);
  for (const f of abi.mapFlags) if (!(f.value > 0 && (f.value & (f.value - 1)) === 0)) throw new Error(`${SOURCE}: map flag ${f.name} is not one bit`);
  abi.advice.forEach((a, i) => {
    if (a.value !== i) throw new Error(`${SOURCE}: advice values must run 0, 1, 2, ... in order (${a.name} is ${a.value})`);
  });
  const errnos = abi.errors.flatMap((e) => e.errnos);
  unique(
    errnos.map((name) => ({ name })),
    "name",
    "errno",
  );
}

const abi = JSON.parse(readFileSync(join(root, SOURCE), "utf8"));
validate(abi);

const flagsAll = abi.mapFlags.reduce((all, f) => all | f.value, 0);
const hex = (n) => `0x${n.toString(16)}`;
const since = (item) => (item.since ? ` (ABI version ${item.since})` : "");
/** Markdown to plain comment text: no backticks. */
const plain = (text) => text.replace(/`/g, "");

/** WASI preview1's errno names in order: each one's number is its index (wasi/api.h __WASI_ERRNO_*). */
const WASI_ERRNOS = (
  "SUCCESS 2BIG ACCES ADDRINUSE ADDRNOTAVAIL AFNOSUPPORT AGAIN ALREADY BADF BADMSG BUSY CANCELED CHILD CONNABORTED " +
  "CONNREFUSED CONNRESET DEADLK DESTADDRREQ DOM DQUOT EXIST FAULT FBIG HOSTUNREACH IDRM ILSEQ INPROGRESS INTR INVAL IO ISCONN ISDIR LOOP " +
  "MFILE MLINK MSGSIZE MULTIHOP NAMETOOLONG NETDOWN NETRESET NETUNREACH NFILE NOBUFS NODEV NOENT NOEXEC NOLCK NOLINK NOMEM NOMSG " +
  "NOPROTOOPT NOSPC NOSYS NOTCONN NOTDIR NOTEMPTY NOTRECOVERABLE NOTSOCK NOTSUP NOTTY NXIO OVERFLOW OWNERDEAD PERM PIPE PROTO " +
  "PROTONOSUPPORT PROTOTYPE RANGE ROFS SPIPE SRCH STALE TIMEDOUT TXTBSY XDEV NOTCAPABLE"
).split(" ");

// --- AssemblyScript ------------------------------------------------------------------------------

function assemblyErrors() {
  const lines = [
    `// ${BANNER}`,
    "// Error codes shared by the Wasm region logic, the `mmf` host imports and the JavaScript API.",
    "// Functions that can fail return the negated code (a negative number); 0 or more is success.",
    "",
    "export const OK: i32 = 0;",
  ];
  for (const e of abi.errors) lines.push(`/** ${plain(e.text)}${since(e)}. */`, `export const ${e.name}: i32 = ${e.code};`);
  const switchOf = (fn, doc, ok, pick, unknown) => [
    "",
    `/** ${doc} */`,
    `export function ${fn}(code: i32): string {`,
    "  if (code < 0) code = -code;",
    "  switch (code) {",
    `    case OK: return ${JSON.stringify(ok)};`,
    ...abi.errors.map((e) => `    case ${e.name}: return ${JSON.stringify(pick(e))};`),
    "  }",
    `  return ${JSON.stringify(unknown)};`,
    "}",
  ];
  lines.push(...switchOf("errorName", 'The symbolic name of an error code, such as "ERANGE".', "OK", (e) => e.name, "EUNKNOWN"));
  lines.push(...switchOf("errorMessage", "A one-line description of an error code.", "success", (e) => e.text, "unknown error"));
  const wasiCases = abi.errors.flatMap((e) => {
    const numbers = e.errnos.map((name) => WASI_ERRNOS.indexOf(name.slice(1))).filter((n) => n > 0);
    return numbers.length ? [`    ${numbers.map((n) => `case ${n}:`).join(" ")} return -${e.name}; // ${e.errnos.join(", ")}`] : [];
  });
  lines.push(
    "",
    "/** The negated code for a WASI (preview1) errno, as a host turns the same errno into it; 0 for success. */",
    "export function codeOfWasiErrno(errno: u16): i32 {",
    "  switch (errno) {",
    "    case 0: return 0;",
    ...wasiCases,
    "  }",
    "  return -EIO;",
    "}",
  );
  return lines.join("\n") + "\n";
}

function assemblyAbi() {
  const lines = [
    `// ${BANNER}`,
    "// The numbers of the `mmf` ABI (docs/abi.md) other than the error codes (errors.ts).",
    "",
    "/** The version of the `mmf` ABI this library speaks. */",
    `export const ABI_VERSION: i32 = ${abi.version};`,
    "",
    "// Bits of the `flags` argument of `map`.",
  ];
  for (const f of abi.mapFlags) lines.push(`/** ${plain(f.doc)}${since(f)} */`, `export const MAP_${f.name}: i32 = ${f.value};`);
  lines.push(`/** Every bit \`map\` knows; any other is EINVAL. */`, `export const MAP_FLAGS_ALL: i32 = ${flagsAll};`, "", "// Modes of `open`.");
  for (const m of abi.openModes) lines.push(`/** ${plain(m.doc)}. */`, `export const OPEN_${m.name}: i32 = ${m.value};`);
  lines.push("", "// Advice of `advise` (madvise); none of them changes the contents.");
  for (const a of abi.advice) lines.push(`/** ${a.madvise}: ${a.doc}. */`, `export const ADVICE_${a.name}: i32 = ${a.value};`);
  lines.push("/** Advice values run from 0 to ADVICE_COUNT - 1. */", `export const ADVICE_COUNT: i32 = ${abi.advice.length};`, "");
  lines.push("// Limits.");
  for (const l of abi.limits) lines.push(`/** ${plain(l.doc)} */`, `export const ${l.name}: i32 = ${l.value};`);
  lines.push("", "// Region modes of the library (the values of Go's mmf constants).");
  for (const m of abi.regionModes) lines.push(`/** ${plain(m.doc)} */`, `export const ${m.name}: i32 = ${hex(m.value)};`);
  lines.push("", "// Options of newMemoryRegion.");
  for (const o of abi.regionOptions) lines.push(`/** ${plain(o.doc)} */`, `export const ${o.name}: i32 = ${hex(o.value)};`);
  return lines.join("\n") + "\n";
}

// --- TypeScript ----------------------------------------------------------------------------------

function typescript() {
  const record = (entries) => `{ ${entries.map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
  const tsType = (t) => (t === "i64" ? "bigint" : "number");
  const lines = [
    `// ${BANNER}`,
    "// The numbers of the `mmf` ABI (docs/abi.md) for the Node host and the JavaScript API.",
    "",
    "/** The version of the `mmf` ABI this host speaks. */",
    `export const ABI_VERSION = ${abi.version};`,
    "",
    "/** The name of an error code (MmfError.code). */",
    `export type MmfErrorCode = ${abi.errors.map((e) => JSON.stringify(e.name)).join(" | ")};`,
    "",
    "/** Code numbers as the `mmf` imports return them (negated on failure), by name. */",
    `export const ErrorCodes = Object.freeze(${record(abi.errors.map((e) => [e.name, e.code]))} as const);`,
    "",
    "/** The one-line text of each code. */",
    "export const ErrorTexts: Readonly<Record<MmfErrorCode, string>> = Object.freeze({",
    ...abi.errors.map((e) => `  ${e.name}: ${JSON.stringify(e.text)},`),
    "});",
    "",
    "/** @internal The errno names (node:os constants.errno) a host turns into each code; any other errno is EIO. */",
    "export const ERRNOS_OF_CODE: Readonly<Record<MmfErrorCode, readonly string[]>> = Object.freeze({",
    ...abi.errors.map((e) => `  ${e.name}: [${e.errnos.map((n) => JSON.stringify(n)).join(", ")}],`),
    "});",
    "",
    "/** Bits of the `flags` argument of `map`. */",
    `export const MapFlags = Object.freeze(${record(abi.mapFlags.map((f) => [f.name, f.value]))} as const);`,
    ...abi.mapFlags.map((f) => `/** ${plain(f.doc)}${since(f)} */\nexport const MAP_FLAG_${f.name} = ${f.value};`),
    "/** Every bit `map` knows; any other is EINVAL. */",
    `export const MAP_FLAGS_ALL = ${flagsAll};`,
    "",
    "/** Modes of `open`. */",
    `export const OpenModes = Object.freeze(${record(abi.openModes.map((m) => [m.name, m.value]))} as const);`,
    "",
    "/** Advice values of `advise` (madvise), by name; none of them changes the contents. */",
    `export const AdviceCodes = Object.freeze(${record(abi.advice.map((a) => [a.name, a.value]))} as const);`,
    "/** Advice values run from 0 to ADVICE_COUNT - 1. */",
    `export const ADVICE_COUNT = ${abi.advice.length};`,
    "/** madvise advice for MemoryRegion.advise. */",
    `export type Advice = ${abi.advice.map((a) => JSON.stringify(a.name.toLowerCase())).join(" | ")};`,
    "/** @internal The advice value of each Advice name. */",
    `export const ADVICE_BY_NAME: Readonly<Record<Advice, number>> = Object.freeze(${record(abi.advice.map((a) => [a.name.toLowerCase(), a.value]))});`,
    "",
    ...abi.limits.map((l) => `/** ${plain(l.doc)} */\nexport const ${l.name} = ${l.value};`),
    "",
    "// Region modes of the JavaScript API (the values of Go's mmf constants).",
    ...abi.regionModes.map((m) => `/** ${plain(m.doc)} */\nexport const ${m.name} = ${hex(m.value)};`),
    "",
    "// Options of newMemoryRegion, as the core module takes them.",
    ...abi.regionOptions.map((o) => `/** @internal ${plain(o.doc)} */\nexport const ${o.name} = ${hex(o.value)};`),
    "",
    "/** The `mmf` import functions, as a Wasm module imports them (see docs/abi.md). */",
    "export interface MmfImports {",
    ...abi.imports.map(
      (f) => `  /** ${plain(f.summary)}${since(f)} */\n  ${f.name}(${f.params.map(([n, t]) => `${camel(n)}: ${tsType(t)}`).join(", ")}): ${tsType(f.result)};`,
    ),
    "  [name: string]: (...args: never[]) => unknown;",
    "}",
  ];
  return lines.join("\n") + "\n";
}

function camel(name) {
  return name.replace(/_(\w)/g, (_, c) => c.toUpperCase());
}

// --- C -------------------------------------------------------------------------------------------

function cHeader() {
  const define = (name, value, comment) => `#define ${name.padEnd(24)} ${comment ? `${String(value).padEnd(4)} // ${plain(comment)}` : value}`;
  const cParam = ([name, type]) => {
    if (type === "i64") return `int64_t ${name}`;
    if (type === "i32") return `int32_t ${name}`;
    if (name === "path_ptr") return "const char* path";
    if (name === "name_ptr") return "const char* name";
    if (name === "epoch_addr") return "volatile int32_t* epoch";
    if (name === "addr" || name === "new_addr") return `void* ${name}`;
    if (name === "vec_ptr") return "uint8_t* vec";
    return `size_t ${name}`;
  };
  const lines = [
    `// ${BANNER}`,
    "// The numbers of the `mmf` ABI (docs/abi.md), shared by the Node native helper, the Wasmtime host's",
    "// library and C guests; a guest includes <mmf.h>, which includes this and declares the imports.",
    "#ifndef MMF_ABI_H",
    "#define MMF_ABI_H",
    "",
    define("MMF_ABI_VERSION", abi.version),
    "",
    "// Error codes: an import that fails returns the negated code.",
    ...abi.errors.map((e) => define(`MMF_${e.name}`, e.code, e.text + since(e))),
    "",
    "// Bits of the flags of mmf_map.",
    ...abi.mapFlags.map((f) => define(`MMF_MAP_${f.name}`, f.value, f.summary + since(f))),
    define("MMF_MAP_FLAGS_ALL", flagsAll, "any other bit is EINVAL"),
    "",
    "// Modes of mmf_open.",
    ...abi.openModes.map((m) => define(`MMF_OPEN_${m.name}`, m.value, m.doc)),
    "",
    "// Advice of mmf_advise, 0 to MMF_ADVICE_COUNT - 1.",
    ...abi.advice.map((a) => define(`MMF_ADVICE_${a.name}`, a.value, a.madvise)),
    define("MMF_ADVICE_COUNT", abi.advice.length),
    "",
    "// Limits.",
    ...abi.limits.map((l) => define(`MMF_${l.name}`, l.value, l.doc)),
    "",
    "// For hosts (with <sys/mman.h>): the madvise advice behind each advice value, indexed by it.",
    `#define MMF_ADVICE_TO_MADVISE { ${abi.advice.map((a) => `[MMF_ADVICE_${a.name}] = ${a.madvise}`).join(", ")} }`,
    "",
    "#if defined(__wasm__)",
    "#include <stddef.h>",
    "#include <stdint.h>",
    "",
    '// The imports of module "mmf" (docs/abi.md). Addresses and lengths are byte offsets into memory 0;',
    "// each returns 0 (or a value >= 0) on success and a negated MMF_E* code on failure.",
    '#define MMF_IMPORT(name) __attribute__((import_module("mmf"), import_name(name)))',
    ...abi.imports.flatMap((f) => [
      `// ${plain(f.summary)}${since(f)}`,
      `MMF_IMPORT("${f.name}") ${f.result === "i64" ? "int64_t" : "int32_t"} mmf_${f.name}(${f.params.length ? f.params.map(cParam).join(", ") : "void"});`,
    ]),
    "#undef MMF_IMPORT",
    "",
    '// The name of a (possibly negated) code, such as "ERANGE".',
    "static inline const char* mmf_error_name(int32_t code) {",
    "  switch (code < 0 ? -code : code) {",
    '    case 0: return "OK";',
    ...abi.errors.map((e) => `    case MMF_${e.name}: return "${e.name}";`),
    "  }",
    '  return "EUNKNOWN";',
    "}",
    "#endif",
    "",
    "#endif",
  ];
  return lines.join("\n") + "\n";
}

// --- Python --------------------------------------------------------------------------------------

function python() {
  const py = (v) => JSON.stringify(v);
  const tuple = (list) => (list.length === 0 ? "()" : list.length === 1 ? `(${py(list[0])},)` : `(${list.map(py).join(", ")})`);
  const lines = [
    `"""${BANNER}`,
    'The numbers of the `mmf` ABI (docs/abi.md) for the Wasmtime host."""',
    "",
    `ABI_VERSION = ${abi.version}`,
    "",
    "# Code numbers as the imports return them (negated on failure), by name, and their one-line texts.",
    "CODES = {",
    ...abi.errors.map((e) => `    ${py(e.name)}: ${e.code},`),
    "}",
    "TEXTS = {",
    ...abi.errors.map((e) => `    ${py(e.name)}: ${py(e.text)},`),
    "}",
    "# The errno names a host turns into each code; any errno not listed is EIO.",
    "ERRNOS = {",
    ...abi.errors.filter((e) => e.errnos.length).map((e) => `    ${py(e.name)}: ${tuple(e.errnos)},`),
    "}",
    "",
    "# Bits of the `flags` argument of `map`.",
    ...abi.mapFlags.map((f) => `MAP_${f.name} = ${f.value}`),
    `MAP_FLAGS_ALL = ${flagsAll}`,
    "",
    "# Modes of `open`.",
    ...abi.openModes.map((m) => `OPEN_${m.name} = ${m.value}  # ${plain(m.doc)}`),
    "",
    "# Advice of `advise`, 0 to ADVICE_COUNT - 1.",
    ...abi.advice.map((a) => `ADVICE_${a.name} = ${a.value}  # ${a.madvise}`),
    `ADVICE_COUNT = ${abi.advice.length}`,
    "",
    "# Limits.",
    ...abi.limits.map((l) => `${l.name} = ${l.value}`),
    "",
    "# Region modes of the AssemblyScript library (the values of Go's mmf constants), and its options.",
    ...abi.regionModes.map((m) => `${m.name} = ${hex(m.value)}`),
    ...abi.regionOptions.map((o) => `${o.name} = ${hex(o.value)}`),
    "",
    '# The imports: name -> (parameters, result). "u32" is an i32 address or length that the host reads unsigned.',
    "IMPORTS = {",
    ...abi.imports.map((f) => `    ${py(f.name)}: (${tuple(f.params.map(([, t]) => t))}, ${py(f.result)}),`),
    "}",
  ];
  return lines.join("\n") + "\n";
}

// --- docs/abi.md ---------------------------------------------------------------------------------

const code = (s) => `\`${s}\``;
const docTables = {
  functions: () => [
    "| function | signature | what it does |",
    "| --- | --- | --- |",
    ...abi.imports.map(
      (f) =>
        `| ${code(f.name)} | ${code(`(${f.params.map(([n, t]) => `${n}: ${t === "u32" ? "i32" : t}`).join(", ")}) -> ${f.result}`)} | ${f.doc}${f.since ? ` *Version ${f.since}.*` : ""} |`,
    ),
  ],
  errors: () => [
    "| code | name | message | returned when | from `errno` |",
    "| --- | --- | --- | --- | --- |",
    ...abi.errors.map(
      (e) =>
        `| ${e.code} | ${code(e.name)} | ${e.text} | ${e.since ? `(version ${e.since}) ` : ""}${e.when} | ${e.errnos.length ? e.errnos.join(", ") : e.name === "EIO" ? "every other" : "none"} |`,
    ),
  ],
  "map-flags": () => [
    "| bit | value | name | meaning |",
    "| --- | --- | --- | --- |",
    ...abi.mapFlags.map((f) => `| ${Math.log2(f.value)} | ${f.value} | ${code(f.name)} | ${f.since ? `(version ${f.since}) ` : ""}${f.doc} |`),
  ],
  "open-modes": () => ["| mode | name | opens the file |", "| --- | --- | --- |", ...abi.openModes.map((m) => `| ${m.value} | ${code(m.name)} | ${m.doc} |`)],
  advice: () => [
    "| advice | name | `madvise` | meaning |",
    "| --- | --- | --- | --- |",
    ...abi.advice.map((a) => `| ${a.value} | ${code(a.name)} | ${code(a.madvise)} | ${a.doc} |`),
  ],
  limits: () => ["| name | value | meaning |", "| --- | --- | --- |", ...abi.limits.map((l) => `| ${code(l.name)} | ${l.value} | ${l.doc} |`)],
};

/** docs/abi.md with every <!-- abi:NAME --> ... <!-- /abi:NAME --> block (and the title's version) rewritten. */
function docs(current) {
  let text = current.replace(/^# The `mmf` import module \(ABI, version \d+\)$/m, `# The \`mmf\` import module (ABI, version ${abi.version})`);
  for (const [name, table] of Object.entries(docTables)) {
    const block = new RegExp(`<!-- abi:${name} -->\\n[\\s\\S]*?<!-- /abi:${name} -->`);
    if (!block.test(text)) throw new Error(`docs/abi.md has no <!-- abi:${name} --> ... <!-- /abi:${name} --> block`);
    text = text.replace(block, () => [`<!-- abi:${name} -->`, `<!-- ${BANNER} -->`, ...table(), `<!-- /abi:${name} -->`].join("\n"));
  }
  return text;
}

/** Every generated file: path (relative to the package root) -> contents. */
export function generate() {
  return {
    "assembly/errors.ts": assemblyErrors(),
    "assembly/abi.ts": assemblyAbi(),
    "host/abi.ts": typescript(),
    "include/mmf_abi.h": cHeader(),
    "host/wasmtime/mmf_wasmtime/abi.py": python(),
    "docs/abi.md": docs(readFileSync(join(root, "docs/abi.md"), "utf8")),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" }, check: { type: "boolean" } } });
  const files = generate();
  if (values.check) {
    const stale = Object.entries(files).filter(([path, text]) => {
      try {
        return readFileSync(join(root, path), "utf8") !== text;
      } catch {
        return true;
      }
    });
    for (const [path] of stale) console.error(`${path} is not current: run \`node scripts/gen-abi.mjs\``);
    process.exitCode = stale.length ? 1 : 0;
  } else {
    const out = values.out ?? root;
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(out, path)), { recursive: true });
      writeFileSync(join(out, path), text);
    }
  }
}
