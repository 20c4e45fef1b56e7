// Pyodide in a module Web Worker, for tests/support/worker_harness.html: boots as harness.html
// does (its query string: dist, lockfile, packages), then runs each request it is sent.
const params = new URLSearchParams(self.location.search);
const dist = new URL(params.get("dist"), self.location.href).href;
const packages = (params.has("packages") ? params.get("packages") : "micropip2").split(",").filter(Boolean);
const log = (m) => self.postMessage({ log: String(m) });

let harness;
try {
  const { bootHarness } = await import("./harness_core.mjs");
  const { loadPyodide } = await import(new URL("pyodide.mjs", dist).href);
  const lockFileURL = new URL(params.get("lockfile") || "pyodide-lock.json", dist).href;
  const resp = await fetch(lockFileURL, { cache: "no-store" });
  if (!resp.ok) throw new Error(`GET ${lockFileURL}: HTTP ${resp.status}`);
  const lock = await resp.json();
  harness = await bootHarness({
    loadPyodide,
    loadOptions: { indexURL: dist, lockFileURL, packageBaseUrl: dist },
    lock,
    packages,
    log,
  });
  self.postMessage({ boot: { ok: true, version: harness.version } });
} catch (e) {
  self.postMessage({ boot: { ok: false, error: e && e.stack ? e.stack : String(e) } });
}

self.onmessage = async ({ data }) => {
  const reply = await harness.run(data.code, data.filename);
  self.postMessage({ id: data.id, reply });
};
