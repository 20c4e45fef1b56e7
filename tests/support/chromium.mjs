// Debian's headless Chromium through playwright-core, as every test driver starts it
// (runner.mjs, pyscript_driver.mjs, jupyterlite_driver.mjs).
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

// A driver's JSON-lines protocol: replies on stdout, everything else (console.log included) on
// stderr; its options --user-data-dir and --chromium.
export function driverSetup() {
  const protocolOut = process.stdout;
  const log = (...a) => process.stderr.write(a.map(String).join(" ") + "\n");
  console.log = console.info = console.debug = console.warn = log;
  const send = (obj) => protocolOut.write(JSON.stringify(obj) + "\n");
  const { values: args } = parseArgs({
    options: {
      chromium: { type: "string", default: "/usr/bin/chromium" },
      "user-data-dir": { type: "string" },
    },
  });
  return { log, send, args };
}
