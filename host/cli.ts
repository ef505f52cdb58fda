#!/usr/bin/env node
// The `mmf` command (the package's bin, what `npm start` runs): host/command.ts on this process's
// arguments, stdout and stderr.
import { mmfCommand } from "./command.js";

process.exitCode = await mmfCommand(process.argv.slice(2), process.stdout, process.stderr);
