// @ts-check
// The package's @internal members that some suites reach on purpose. The build strips them from
// dist/host/*.d.ts (stripInternal), so they are typed here for npm run typecheck:tests.
import * as mmfModule from "../dist/host/mmf.js";

/**
 * @typedef {import("../dist/host/index.js").MmfHost & {
 *   addHandle(fd: number, writable: boolean): number;
 *   takeRefusal(): string | undefined;
 *   nextHandle: number;
 *   removeHandle(handle: number): void;
 *   lend(fd: number): number;
 *   endLoan(): void;
 * }} InternalHost
 */

/**
 * The core instance of an Mmf: its core module's exports, host, memory and live ids.
 * @type {(mmf: import("../dist/host/index.js").Mmf) => { exports: any, host: InternalHost, memory: WebAssembly.Memory, live: number[] }}
 */
export const coreOf = /** @type {any} */ (mmfModule).coreOf;

/**
 * A host with its internal members typed.
 * @param {import("../dist/host/index.js").MmfHost} host
 * @returns {InternalHost}
 */
export const internals = (host) => /** @type {InternalHost} */ (host);
