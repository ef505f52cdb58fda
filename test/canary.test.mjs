// @ts-check
// The canary: fails on purpose, so that the runner itself is checked. `node test/run.mjs canary`
// must report "1 passed, 1 failed" and exit 1 (npm run test:mutation checks that before it trusts
// a clean run); test/run.mjs leaves it out of every run that does not name it.
import { suite } from "uvu";
import * as assert from "uvu/assert";

const test = suite("canary");

test("a test that passes", () => {
  assert.is(1 + 1, 2);
});

test("a test that fails: the runner must count it", () => {
  assert.is(1 + 1, 3, "the canary's failure");
});

test.run();
