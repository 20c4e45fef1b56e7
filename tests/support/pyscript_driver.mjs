#!/usr/bin/env node
// Opens PyScript pages in Debian's Chromium for tests/test_pyscript.py
// (tests/support/pyscript_site.py starts it and speaks to it).
//
//   node pyscript_driver.mjs --user-data-dir DIR [--chromium /usr/bin/chromium]
//
// One browser and one tab for the life of the process; DIR is the profile (IndexedDB, where
// PyScript keeps micropip.freeze(), lives there), owned by the caller.
//
// Protocol (JSON lines): after launch, {"ready": true} on stdout (or {"ready": false, "error"}).
// Then for each stdin line {"id": n, "url": "...", "timeout_ms": N} the tab navigates to url
// (the same url again is a reload) and waits until the page sets window.pyscriptTest (a JSON
// string its <script type="py"> writes last) or throws an uncaught error, then answers:
//   {"id": n, "ok": true, "result": <parsed pyscriptTest>, "progress": [details of py:progress
//    events, in order], "console": ["type: text", ...], "errors": [page errors, and
//    "HTTP <status>: <url>" for every answer >= 400]}
//   {"id": n, "ok": false, "error": "...", "progress", "console", "errors"}
// EOF on stdin closes the browser.

import { driverSetup, launchChromium, serve } from "./chromium.mjs";

const { args } = driverSetup();

// Runs in the page before any of its scripts: keep every py:progress event's detail.
function recordProgress() {
  window.pyscriptProgress = [];
  addEventListener("py:progress", (event) => window.pyscriptProgress.push(String(event.detail)));
}

async function launch() {
  if (!args["user-data-dir"]) throw new Error("--user-data-dir is required");
  const context = await launchChromium(args["user-data-dir"], args.chromium);
  await context.addInitScript(recordProgress);
  const page = context.pages()[0] || (await context.newPage());
  return { context, page };
}

async function open(page, url, timeoutMs) {
  const consoleLines = [];
  const errors = [];
  const onConsole = (m) => consoleLines.push(`${m.type()}: ${m.text()}`);
  let failed;
  const pageFailed = new Promise((resolve) => (failed = resolve));
  const onError = (e) => {
    errors.push(String(e && e.stack ? e.stack : e));
    failed();
  };
  const onResponse = (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`);
  page.on("console", onConsole);
  page.on("pageerror", onError);
  page.on("response", onResponse);
  const facts = async () => ({
    progress: await page.evaluate(() => window.pyscriptProgress || []).catch(() => []),
    console: consoleLines,
    errors,
  });
  try {
    const resp = await page.goto(url);
    if (!resp || !resp.ok()) throw new Error(`GET ${url}: HTTP ${resp && resp.status()}`);
    const done = page.waitForFunction(() => typeof window.pyscriptTest === "string", null, {
      timeout: timeoutMs,
    });
    // an uncaught error (PyScript's boot failing, say) ends the wait: the page will not finish
    if ((await Promise.race([done.then(() => "done"), pageFailed])) !== "done") {
      done.catch(() => {});
      throw new Error("the page failed before its script finished");
    }
    const result = JSON.parse(await page.evaluate(() => window.pyscriptTest));
    return { ok: true, result, ...(await facts()) };
  } catch (e) {
    return { ok: false, error: String(e && e.message), ...(await facts()) };
  } finally {
    page.off("console", onConsole);
    page.off("pageerror", onError);
    page.off("response", onResponse);
  }
}

await serve(launch, (browser, req) =>
  open(browser.page, String(req.url), Number(req.timeout_ms) || 60000),
);
