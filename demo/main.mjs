#!/usr/bin/env node
// The main job: boot Pyodide 314.0.7 on Node with micropip2 loaded from the local
// distribution (build/dist/314.0.7, made by scripts/setup.sh), then run demo/main.py in it.
//   node demo/main.mjs [--dist build/dist/314.0.7]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL, fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { dist: { type: "string", default: path.join(HERE, "..", "build", "dist", "314.0.7") } } });
const dist = path.resolve(args.dist) + path.sep;
const lockPath = path.join(dist, "pyodide-lock.json");

const { loadPyodide } = await import(pathToFileURL(path.join(dist, "pyodide.mjs")).href);
const started = Date.now();
const pyodide = await loadPyodide({ indexURL: dist, lockFileURL: lockPath, packageBaseUrl: dist, packageCacheDir: dist });
await pyodide.loadPackage(["micropip2"], { messageCallback: () => {} });
if (!pyodide.loadedPackages.micropip2) {
  console.error("micropip2 did not load from " + dist);
  process.exit(1);
}
console.log(`Pyodide ${pyodide.version} booted with micropip2 in ${Date.now() - started} ms`);
try {
  await pyodide.runPythonAsync(fs.readFileSync(path.join(HERE, "main.py"), "utf8"), { filename: "demo/main.py" });
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
