#!/usr/bin/env node
// Runs Python code in Pyodide for micropip2's tests (see tests/support/pyodide_runtime.py).
//
//   node runner.mjs --dist build/dist/314.0.7 [--lockfile micropip2-builds/<sha>/pyodide-lock.json]
//   node runner.mjs --dist build/dist/314.0.7 --browser \
//        --base-url http://127.0.0.1:PORT/dist/314.0.7/ [--lockfile ...] [--harness-url URL]
//
// --lockfile is relative to the dist directory (default pyodide-lock.json) or absolute (a
// path on Node; an http URL in browser mode); the wheels it names are resolved against
// the dist directory, or on Node against --package-dir (packageBaseUrl and
// packageCacheDir: a local folder holding a user's lock's wheels). --packages lists what
// is loaded and checked at boot (default micropip2; --packages '' loads nothing, for a
// fresh runtime booted from a user's lock that the test loads itself).
//
// Node mode boots Pyodide in this process from the dist directory. Browser mode drives
// Debian's /usr/bin/chromium through playwright-core and boots Pyodide in a page
// (tests/support/harness.html) served, together with the dist directory, by the static
// server the Python side started.
//
// Protocol (JSON lines): after boot, one line {"ready": true, "boot_ms": N, "version": V}
// on stdout (or {"ready": false, "error": "..."} and exit 1). Then for each stdin line
// {"id": n, "code": "...", "filename": "<optional name for tracebacks>"} one stdout line
//   {"id": n, "ok": true, "result": <str or null>, "stdout": "...", "stderr": "..."}
//   {"id": n, "ok": false, "error": {"type", "module", "message", "traceback"}, "stdout", "stderr"}
// `result` is str() of the value of the code's last expression (None -> null). Every
// request runs with fresh globals in the same interpreter. EOF on stdin ends the runner.
// Browser mode also takes {"id": n, "screenshot": "/abs/file.png"}: a PNG of the whole page
// (replies {"id": n, "ok": true, "result": null, ...}).
// Anything else (Pyodide's progress messages, the browser console) goes to stderr.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { launchChromium } from "./chromium.mjs";
import { pathToFileURL, fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

// stdout carries the protocol only: keep stray console output (Pyodide logs package
// loading with console.log) away from it.
const protocolOut = process.stdout;
const log = (...a) => process.stderr.write(a.map(String).join(" ") + "\n");
console.log = console.info = console.debug = console.warn = log;

function send(obj) {
  protocolOut.write(JSON.stringify(obj) + "\n");
}

function fail(msg) {
  send({ ready: false, error: msg });
  log(`runner: ${msg}`);
  process.exitCode = 1;
}

const { values: args } = parseArgs({
  options: {
    dist: { type: "string" },
    browser: { type: "boolean", default: false },
    "base-url": { type: "string" },
    "harness-url": { type: "string" },
    lockfile: { type: "string", default: "pyodide-lock.json" },
    // browser only: fetch the lockfile and boot with its text as lockFileContents
    "lockfile-contents": { type: "boolean", default: false },
    "package-dir": { type: "string" },
    packages: { type: "string", default: "micropip2" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    // a directory owned by the caller (who removes it): empty for a fresh profile, or one a
    // closed runner used (a new page in the same profile: its HTTP cache and Cache Storage);
    // default: a temp dir this runner creates and removes
    "user-data-dir": { type: "string" },
  },
});
const PACKAGES = args.packages.split(",").map((s) => s.trim()).filter(Boolean);

async function bootNode() {
  if (!args.dist) throw new Error("--dist is required");
  const dist = path.resolve(args.dist) + path.sep;
  const lockPath = path.resolve(dist, args.lockfile);
  const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
  const pkgDir = args["package-dir"] ? path.resolve(args["package-dir"]) + path.sep : dist;
  const { loadPyodide } = await import(pathToFileURL(path.join(dist, "pyodide.mjs")).href);
  const { bootHarness } = await import("./harness_core.mjs");
  const harness = await bootHarness({
    loadPyodide,
    // On Node, Pyodide resolves lockfile file names against packageBaseUrl as file paths
    // and reads them from packageCacheDir; both must be the local dist directory.
    loadOptions: { indexURL: dist, lockFileURL: lockPath, packageBaseUrl: pkgDir, packageCacheDir: pkgDir },
    lock,
    packages: PACKAGES,
    log,
  });
  return {
    version: harness.version,
    run: (code, filename) => harness.run(code, filename),
    close: async () => {},
  };
}

async function bootBrowser() {
  const baseUrl = args["base-url"];
  if (!baseUrl) throw new Error("--browser needs --base-url (the served dist directory)");
  const distUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  const harnessUrl = new URL(args["harness-url"] || new URL("../../support/harness.html", distUrl));
  harnessUrl.searchParams.set("dist", distUrl);
  harnessUrl.searchParams.set("lockfile", args.lockfile);
  if (args["lockfile-contents"]) harnessUrl.searchParams.set("contents", "1");
  harnessUrl.searchParams.set("packages", PACKAGES.join(","));

  const ownDir = !args["user-data-dir"];
  const userDataDir = args["user-data-dir"] || fs.mkdtempSync(path.join(os.tmpdir(), "micropip2-chromium-"));
  let context;
  let closing = false;
  const cleanup = async () => {
    try {
      if (context) await context.close();
    } finally {
      if (ownDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  // SIGTERM (the host's way to stop a stuck runtime): close the browser, then exit
  process.on("SIGTERM", async () => {
    closing = true;
    const timer = setTimeout(() => process.exit(143), 5000);
    try {
      await cleanup();
    } finally {
      clearTimeout(timer);
      process.exit(143);
    }
  });
  try {
    context = await launchChromium(userDataDir, args.chromium, {
      handleSIGTERM: false, // handled above
    });
  } catch (e) {
    await cleanup();
    throw new Error(`could not launch ${args.chromium}: ${e.message}`);
  }
  log(`runner: Chromium launched at ${Math.round(performance.now())} ms`);
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => log(`[chrome console.${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => log(`[chrome pageerror] ${e.stack || e}`));
  page.on("crash", () => {
    log("runner: the Chromium page crashed");
    process.exit(1);
  });
  context.on("close", () => {
    if (!closing) {
      log("runner: Chromium went away");
      process.exit(1);
    }
  });
  try {
    const resp = await page.goto(harnessUrl.href);
    if (!resp || !resp.ok()) throw new Error(`GET ${harnessUrl.href}: HTTP ${resp && resp.status()}`);
    const boot = await page.evaluate(() => window.mp2Boot);
    if (!boot.ok) throw new Error(`booting Pyodide in Chromium failed: ${boot.error}`);
    return {
      version: boot.version,
      run: (code, filename) =>
        page.evaluate(([c, f]) => window.mp2Harness.run(c, f), [code, filename || null]),
      screenshot: async (file) => {
        await page.screenshot({ path: file, fullPage: true });
        return { ok: true, result: null, stdout: "", stderr: "" };
      },
      close: async () => {
        closing = true;
        await cleanup();
      },
    };
  } catch (e) {
    closing = true;
    await cleanup();
    throw e;
  }
}

async function main() {
  let runtime;
  try {
    runtime = await (args.browser ? bootBrowser() : bootNode());
  } catch (e) {
    fail(e && e.stack ? e.stack : String(e));
    return;
  }
  send({ ready: true, boot_ms: Math.round(performance.now()), version: runtime.version });

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let pending = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      send({ id: null, ok: false, error: { type: "ProtocolError", module: "", message: `bad JSON: ${e.message}`, traceback: "" } });
      return;
    }
    pending = pending.then(async () => {
      let reply;
      try {
        if (req.screenshot !== undefined) {
          if (!runtime.screenshot) throw new Error("screenshots need a browser runtime (--browser)");
          reply = await runtime.screenshot(String(req.screenshot));
        } else {
          reply = await runtime.run(String(req.code), req.filename);
        }
      } catch (e) {
        reply = { ok: false, error: { type: "HarnessError", module: "", message: String(e && e.message), traceback: String(e && e.stack) }, stdout: "", stderr: "" };
      }
      send({ id: req.id, ...reply });
    });
  });
  rl.on("close", async () => {
    await pending;
    await runtime.close();
    process.exit(0);
  });
}

await main();
