#!/usr/bin/env node
// The executable behind `warden`.
import { processIO } from "./io.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), processIO());
