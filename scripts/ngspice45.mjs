#!/usr/bin/env node
// ngspice 45.2 (the npm package eecircuit-engine 1.8.0: ngspice compiled to
// WebAssembly) behind the command line atscale's ngspice runner uses, so that
// the runner can run it for real: ATSCALE_NGSPICE=scripts/ngspice45.mjs.
//
//   ngspice45.mjs -v                    the engine's banner (`** ngspice-45.2 : ...`)
//   ngspice45.mjs --banner              starts the engine and prints its banner
//   ngspice45.mjs [-n] [-b] [--ascii] -r RAW DECK
//                                       runs DECK, writes the raw file RAW
//
// How a run works. The package runs ngspice interactively inside WebAssembly
// with a virtual file system: it writes the netlist to /test.cir and types
// `source test.cir`, `destroy all`, `run`, `write out.raw` (binary raw file;
// with --ascii `set filetype=ascii` comes before `write`). This script gives
// it DECK's text, copies /out.raw out to RAW when ngspice wrote one, and
// prints what ngspice printed: its standard output to stdout and its
// standard error to stderr, line by line, unchanged (including the
// interactive prompts `ngspice 2 ->`, which batch mode does not print).
// Differences from `ngspice -b -r RAW DECK` that a reader of the output
// should know: the raw file holds the current plot only (the last analysis,
// the transient when the deck ends with one), written after the run rather
// than during it; `-n` and `-b` are accepted and need nothing (the engine
// reads no init file of the user's: it has none to read). Exit status: 0
// when ngspice wrote a raw file and printed no error, 1 otherwise.
//
// Memory: Node's WebAssembly reserves about 22 GiB of address space (V8's
// guard regions), so under a smaller RLIMIT_AS (atscale's default engine
// limit is 4 GiB: raise it with --max-engine-memory 32G) the engine cannot
// start; this script says so instead of failing inside V8. `-v` needs no
// WebAssembly: it prints the banner scripts/install-eecircuit.sh recorded
// from the engine.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../.cache/eecircuit/", import.meta.url));
const engine = `${root}node_modules/eecircuit-engine/dist/eecircuit-engine.mjs`;
const NEEDED_ADDRESS_SPACE = 24 * 2 ** 30;

function fail(message) {
  process.stderr.write(`ngspice45.mjs: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { ascii: false, raw: null, deck: null, mode: "run" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-v") args.mode = "version";
    else if (a === "--banner") args.mode = "banner";
    else if (a === "--ascii") args.ascii = true;
    else if (a === "-n" || a === "-b") continue;
    else if (a === "-r") args.raw = argv[++i];
    else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else if (args.deck === null) args.deck = a;
    else fail(`unexpected argument ${a}`);
  }
  if (args.mode === "run" && (args.raw == null || args.deck == null)) {
    fail("usage: ngspice45.mjs [-n] [-b] [--ascii] -r RAW DECK | -v | --banner");
  }
  return args;
}

/** The soft address-space limit in bytes (Infinity when unlimited or unknown). */
function addressSpaceLimit() {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max address space"));
    const soft = line?.split(/\s+/)[3];
    return soft === undefined || soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

async function startEngine() {
  if (!existsSync(engine)) {
    fail(`eecircuit-engine is not installed (no ${engine}); run scripts/install-eecircuit.sh`);
  }
  const limit = addressSpaceLimit();
  if (limit < NEEDED_ADDRESS_SPACE) {
    fail(
      `Node's WebAssembly needs about 22 GiB of address space, but it is limited to ` +
        `${(limit / 2 ** 30).toFixed(1)} GiB (atscale: raise it with --max-engine-memory 32G)`,
    );
  }
  const { Simulation } = await import(engine);
  // The package echoes ngspice's stderr with console.error and prints notes
  // with console.info; this script prints both streams itself.
  console.error = () => {};
  console.info = () => {};
  Simulation.MAX_INFO_CHARS = Infinity;
  const sim = new Simulation();
  const finished = watchRuns(sim);
  await sim.start();
  return { sim, finished };
}

/**
 * Prints what ngspice prints, as it prints it. The package appends every
 * stdout line to `info` as `line + "\n"` and every stderr line as
 * `line + "\n\n"` (emscripten hands over one line at a time, without its
 * newline), so each growth of `info` tells the line and its stream.
 */
function tapOutput(sim) {
  let text = "";
  Object.defineProperty(sim, "info", {
    get: () => text,
    set: (value) => {
      if (value.startsWith(text) && value.length > text.length) {
        const added = value.slice(text.length);
        if (added.endsWith("\n\n")) process.stderr.write(added.slice(0, -1));
        else process.stdout.write(added);
      }
      text = value;
    },
  });
}

/**
 * A function returning a promise of the end of the next run. The package
 * resolves `runSim` only when it could read and parse /out.raw; after a
 * failed run it never does, but it always logs "output completed" once the
 * command list has run, which is what this waits for.
 */
function watchRuns(sim) {
  let resolve = null;
  sim.log_debug = (message) => {
    if (message === "output completed" && resolve) {
      const r = resolve;
      resolve = null;
      r();
    }
  };
  return () => new Promise((r) => (resolve = r));
}

async function run(args) {
  const deck = readFileSync(args.deck, "utf8");
  const { sim, finished } = await startEngine();
  // From here on (not the start-up banner, which `ngspice -b` does not print).
  tapOutput(sim);
  sim.setNetList(deck);
  const write = sim.commandList.indexOf("write out.raw");
  if (write < 0) fail("eecircuit-engine changed: its command list has no `write out.raw`");
  if (args.ascii) sim.commandList.splice(write, 0, "set filetype=ascii");
  const module = sim.__getSpiceModuleForTests();
  try {
    module.FS.unlink("/out.raw");
  } catch {
    // none yet
  }
  const done = finished();
  // After a fatal error (`ERROR: fatal error in ngspice, exit(1)`) the engine
  // stops and the run never completes: Node then runs out of work.
  const stopped = new Promise((r) => process.once("beforeExit", r));
  sim.runSim().catch(() => {});
  await Promise.race([done, stopped]);
  let raw = null;
  try {
    raw = module.FS.readFile("/out.raw");
  } catch {
    // ngspice wrote none
  }
  if (raw !== null) writeFileSync(args.raw, raw);
  const errored = sim
    .getError()
    .some((l) => /error|aborted|too small/i.test(l));
  process.exit(raw !== null && !errored ? 0 : 1);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.mode === "version") {
    const banner = `${root}banner.txt`;
    if (!existsSync(banner)) {
      fail(`no recorded banner (${banner}); run scripts/install-eecircuit.sh`);
    }
    process.stdout.write(readFileSync(banner, "utf8"));
    process.exit(0);
  }
  if (args.mode === "banner") {
    const { sim } = await startEngine();
    const banner = sim.getInitInfo().split("\n").filter((l) => l.startsWith("*"));
    process.stdout.write(`${banner.join("\n")}\n`);
    process.exit(0);
  }
  await run(args);
}

await main();
