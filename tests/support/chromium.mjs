// Debian's headless Chromium through playwright-core, as every test driver starts it
// (runner.mjs, pyscript_driver.mjs, jupyterlite_driver.mjs).
import readline from "node:readline";
import { parseArgs } from "node:util";

// As root, without a sandbox; no background requests (this machine's network is closed);
// Chromium's own log on stderr, which reaches the driver's stderr through playwright's
// "pw:browser" debug channel: when a page crashes, the log says why.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-logging=stderr",
];

export async function launchChromium(userDataDir, executablePath, options = {}) {
  process.env.DEBUG = [process.env.DEBUG, "pw:browser"].filter(Boolean).join(",");
  const { chromium } = await import("playwright-core");
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    ...options,
    args: CHROMIUM_ARGS,
  });
}

// A driver's JSON-lines protocol: replies on stdout (send), everything else (console.log
// included) on stderr; its options --user-data-dir and --chromium.
const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

export function driverSetup() {
  const log = (...a) => process.stderr.write(a.map(String).join(" ") + "\n");
  console.log = console.info = console.debug = console.warn = log;
  const { values: args } = parseArgs({
    options: {
      chromium: { type: "string", default: "/usr/bin/chromium" },
      "user-data-dir": { type: "string" },
    },
  });
  return { args };
}

// A driver's life: `launch()` gives {context, page}; then {"ready": true}, and for each request
// line one reply, `answer(browser, request)` (requests one after another); EOF on stdin closes
// the browser.
export async function serve(launch, answer) {
  let browser;
  try {
    browser = await launch();
  } catch (e) {
    send({ ready: false, error: String(e && e.stack ? e.stack : e) });
    process.exit(1);
  }
  send({ ready: true });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let pending = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    const req = JSON.parse(line);
    pending = pending.then(async () => send({ id: req.id, ...(await answer(browser, req)) }));
  });
  rl.on("close", async () => {
    await pending;
    await browser.context.close();
    process.exit(0);
  });
}
