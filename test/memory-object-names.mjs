// @ts-check
// Unique names for the shared memory objects of one test process, and the cleanup that removes
// every one of them (and checks that nothing else of this process is left in /dev/shm).
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const SHM = "/dev/shm";
/** The prefix of every object this process makes: no other process (or run) shares it. */
export const objectPrefix = `mmft-${process.pid}-${Date.now().toString(36)}-`;
let next = 0;

/** A fresh object name, under objectPrefix. */
export function objectName(label = "o") {
  return `${objectPrefix}${label}-${next++}`;
}

/** Names of /dev/shm entries this process made and has not removed. */
export function leftovers() {
  return readdirSync(SHM).filter((name) => name.startsWith(objectPrefix));
}

/** Removes everything this process left in /dev/shm (files, FIFOs, links, folders); returns what was there. */
export function removeObjects() {
  const left = leftovers();
  for (const name of left) rmSync(join(SHM, name), { recursive: true, force: true });
  return left;
}

process.on("exit", removeObjects);
