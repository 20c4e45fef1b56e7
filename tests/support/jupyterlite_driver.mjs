#!/usr/bin/env node
// Drives a JupyterLite notebook in Debian's Chromium for tests/test_jupyterlite.py
// (tests/support/jupyterlite_site.py starts it and speaks to it).
//
//   node jupyterlite_driver.mjs --user-data-dir DIR [--chromium /usr/bin/chromium]
//
// One browser, one tab, profile DIR (Cache Storage, where micropip2 keeps files, lives there).
// The site sets exposeAppInBrowser, so the page has window.jupyterapp (JupyterLab's app object).
//
// Protocol (JSON lines): after launch {"ready": true}. Then one request per stdin line, one
// answer per request, {"id": n, "ok": true, ...} or {"id": n, "ok": false, "error": "..."}:
//   {"op": "open", "url"}           open JupyterLab's page, create a new notebook with the Python
//                                   (Pyodide) kernel; answer once the kernel is idle
//   {"op": "run", "source"}         append a code cell with this source, run it, wait for its
//                                   reply: {"outputs": [nbformat outputs], "states": [the outputs
//                                   after each change while it ran], "text": what the cell's
//                                   output area shows, "index": the cell's index}
//   {"op": "restart"}               restart the kernel; answer once it is idle again
//   {"op": "screenshot", "index", "last", "path"}   a PNG of cells index..last (inputs and
//                                   outputs; last defaults to index) at path
// Every answer carries "outside": requests the page or its workers made to hosts other than
// 127.0.0.1 (they are aborted), and "console": the page's and workers' console lines so far.
// Each request has "timeout_ms". EOF on stdin closes the browser.

import { driverSetup, launchChromium, serve } from "./chromium.mjs";

const { args } = driverSetup();

const outside = [];
const consoleLines = [];

async function launch() {
  if (!args["user-data-dir"]) throw new Error("--user-data-dir is required");
  const context = await launchChromium(args["user-data-dir"], args.chromium, {
    viewport: { width: 1100, height: 1600 }, // tall enough for a cell and the next one
  });
  // no CDN, no internet: anything not on loopback is recorded and refused; pypi.org (the
  // default index, which micropip2 may ask about the lock's packages) answers 404, "not here"
  await context.route(
    (url) => !["127.0.0.1", "localhost"].includes(url.hostname),
    (route) => {
      const url = new URL(route.request().url());
      outside.push(url.href);
      if (url.hostname === "pypi.org") {
        return route.fulfill({ status: 404, headers: { "Access-Control-Allow-Origin": "*" }, body: "" });
      }
      return route.abort();
    },
  );
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("worker", (w) => w.on("console", (m) => consoleLines.push(`worker ${m.type()}: ${m.text()}`)));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e && e.stack ? e.stack : e}`));
  return { context, page };
}

// -- in the page --------------------------------------------------------------------------

function appReady() {
  return Boolean(window.jupyterapp && window.jupyterapp.commands.hasCommand("notebook:create-new"));
}

async function newNotebook() {
  await window.jupyterapp.commands.execute("notebook:create-new", { kernelName: "python" });
}

function kernelIdle() {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const context = panel && panel.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return Boolean(kernel && kernel.status === "idle" && context.isReady);
}

async function runCell(source) {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  const index = notebook.model.cells.length;
  notebook.model.sharedModel.insertCell(index, { cell_type: "code", source });
  notebook.activeCellIndex = index;
  const cell = notebook.widgets[index];
  // every state the cell's outputs went through: a display updated in place shows up each time
  const states = [];
  const record = () => states.push(cell.model.outputs.toJSON());
  cell.model.outputs.changed.connect(record);
  try {
    await app.commands.execute("notebook:run-cell");
  } finally {
    cell.model.outputs.changed.disconnect(record);
  }
  return {
    index,
    outputs: cell.model.outputs.toJSON(),
    states,
    text: cell.outputArea.node.innerText,
    executionCount: cell.model.executionCount,
  };
}

async function restartKernel() {
  await window.jupyterapp.shell.currentWidget.sessionContext.restartKernel();
}

// -- requests -----------------------------------------------------------------------------

async function handle(page, req) {
  const timeout = Number(req.timeout_ms) || 120000;
  if (req.op === "open") {
    const resp = await page.goto(String(req.url));
    if (!resp || !resp.ok()) throw new Error(`GET ${req.url}: HTTP ${resp && resp.status()}`);
    await page.waitForFunction(appReady, null, { timeout, polling: 250 });
    await page.evaluate(newNotebook);
    await page.waitForFunction(kernelIdle, null, { timeout, polling: 250 });
    return {};
  }
  if (req.op === "run") {
    const run = page.evaluate(runCell, String(req.source));
    const timer = new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`the cell did not finish in ${timeout} ms`)), timeout),
    );
    const result = await Promise.race([run, timer]);
    await page.waitForFunction(kernelIdle, null, { timeout, polling: 100 });
    return result;
  }
  if (req.op === "restart") {
    await page.evaluate(restartKernel);
    await page.waitForTimeout(500); // the old kernel's "idle" is not the new one's
    await page.waitForFunction(kernelIdle, null, { timeout, polling: 250 });
    return {};
  }
  if (req.op === "screenshot") {
    const nodes = (i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node;
    const first = await page.evaluateHandle(nodes, Number(req.index));
    const last = await page.evaluateHandle(nodes, Number(req.last ?? req.index));
    await first.asElement().scrollIntoViewIfNeeded();
    await page.waitForTimeout(300); // let the output's last update paint
    const top = await first.asElement().boundingBox();
    const bottom = await last.asElement().boundingBox();
    const clip = { x: top.x, y: top.y, width: top.width, height: bottom.y + bottom.height - top.y };
    await page.screenshot({ path: String(req.path), clip });
    return {};
  }
  throw new Error(`unknown op ${req.op}`);
}

await serve(launch, async (browser, req) => {
  let reply;
  try {
    reply = { ok: true, ...(await handle(browser.page, req)) };
  } catch (e) {
    reply = { ok: false, error: String(e && e.message) };
  }
  return { ...reply, outside: [...outside], console: [...consoleLines] };
});
