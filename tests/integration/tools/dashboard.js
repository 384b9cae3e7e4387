#!/usr/bin/env node
// Drives the dashboard of `vtpool serve --http` (app/web/dashboard.html) in
// the system's chromium with puppeteer-core (scripts/player-libs.sh installs
// it): submits two jobs through the form (libx264, crf 30, ultrafast,
// overwrite), cancels the second from its row, waits for the first to be
// done at 100%, and takes screenshots: --screenshot of the 1280x800 window,
// --phone-screenshot of the whole page at 390x844, where the page must not
// scroll sideways (phone_overflow; null when not asked).
//
//   node dashboard.js --url URL [--token T] --job1-input P --job1-output P
//        --job2-input P --job2-output P --screenshot FILE.png
//        [--phone-screenshot FILE2.png] [--timeout-s 120]
//        [--npm DIR] [--chromium PATH]
//
// --npm is the directory whose node_modules holds puppeteer-core (default:
// $VTPOOL_NPM_DIR, else ~/.cache/vtpool/npm, as player-libs.sh prints);
// --chromium the browser (default /usr/bin/chromium). Every wait is bounded
// by --timeout-s, all of them together.
//
// Prints one JSON line: {"ok":true,"job1":ID,"job2":ID,"job1_states":[...],
// "max_percent_seen":N,"phone_overflow":false} or {"ok":false,"error":"...",
// "step":"..."}, and exits 0 or 1. Console errors and uncaught exceptions of
// the page make it fail. On a failure the desktop screenshot is still taken
// where it can be (it shows what the page showed).
"use strict";
const os = require("os");
const path = require("path");

const USAGE = "usage: dashboard.js --url URL [--token T] --job1-input P --job1-output P " +
  "--job2-input P --job2-output P --screenshot FILE.png [--phone-screenshot FILE2.png] [--timeout-s 120]";

function parseArgs(argv) {
  const known = ["url", "token", "job1-input", "job1-output", "job2-input", "job2-output",
    "screenshot", "phone-screenshot", "timeout-s", "npm", "chromium", "browser", "firefox"];
  const a = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!argv[i].startsWith("--") || !known.includes(key) || i + 1 >= argv.length) throw new Error(USAGE);
    a[key] = argv[i + 1];
  }
  for (const k of ["url", "job1-input", "job1-output", "job2-input", "job2-output", "screenshot"])
    if (!a[k]) throw new Error("--" + k + " is missing; " + USAGE);
  a.browser = a.browser || "chromium";
  if (!["chromium", "firefox"].includes(a.browser)) throw new Error("--browser: chromium or firefox");
  a.timeoutMs = 1000 * Number(a["timeout-s"] || 120);
  if (!(a.timeoutMs > 0)) throw new Error("--timeout-s: a positive number of seconds");
  return a;
}

function loadPuppeteer(dir) {
  const dirs = [dir, process.env.VTPOOL_NPM_DIR,
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "vtpool/npm")];
  for (const d of dirs.filter(Boolean)) {
    try { return require(path.join(d, "node_modules/puppeteer-core")); } catch (e) { /* next */ }
  }
  return require("puppeteer-core");  // NODE_PATH or a local node_modules
}

// Installed in the page before its scripts: records, per job id, every state
// its row showed (in order) and the highest data-percent of its bar, so that
// quick transitions are not lost between two polls.
function recordRows() {
  window.__seen = {};
  const scan = () => {
    for (const row of document.querySelectorAll("#jobs [data-job-id]")) {
      const s = (window.__seen[row.dataset.jobId] ||= {states: [], maxPercent: 0});
      const state = row.querySelector(".state")?.textContent.trim();
      if (state && s.states[s.states.length - 1] !== state) s.states.push(state);
      const pct = Number(row.querySelector(".bar")?.dataset.percent);
      if (pct > s.maxPercent) s.maxPercent = pct;
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(scan).observe(document.body,
      {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["data-percent"]});
    scan();
  });
}

class Failure extends Error {
  constructor(step, message) { super(message); this.step = step; }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + args.timeoutMs;
  const pageErrors = [];
  let step = "launch", browser = null, page = null;

  // Polls fn (evaluated in the page with arg) until it returns something
  // truthy; fails at the deadline, or at once on a page error.
  async function waitFor(what, fn, arg) {
    for (;;) {
      const v = await page.evaluate(fn, arg);
      if (v) return v;
      if (pageErrors.length) throw new Failure(step, "page error: " + pageErrors[0]);
      if (Date.now() > deadline) throw new Failure(step, "timed out waiting for " + what);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async function fill(selector, value) {
    await page.$eval(selector, (e) => { e.value = ""; });
    await page.type(selector, value);
  }

  async function submitJob(input, output) {
    await fill("#f-input", input);
    await fill("#f-output", output);
    await fill("#f-encoder", "libx264");
    await fill("#f-crf", "30");
    await fill("#f-preset", "ultrafast");
    if (!(await page.$eval("#f-overwrite", (e) => e.checked))) await page.click("#f-overwrite");
    const before = await page.$eval("#f-message", (e) => e.textContent);
    await page.click("#f-submit");
    const msg = await waitFor("#f-message to show the submission's outcome", (b) => {
      const m = document.querySelector("#f-message");
      const t = m.textContent.trim();
      return t && t !== b && !/^Submitting/.test(t) ? {text: t, error: m.classList.contains("error")} : null;
    }, before);
    const id = /\bjob\s+#?(\d+)/i.exec(msg.text);
    if (msg.error || !id) throw new Failure(step, "the server refused the job: " + msg.text);
    return Number(id[1]);
  }

  const result = {ok: false};
  // Should anything outlast the deadline regardless (a hung browser), this
  // reports it and ends the process.
  const watchdog = setTimeout(() => {
    process.stdout.write(JSON.stringify({ok: false, error: "hung past the timeout", step: step}) + "\n");
    try { browser && browser.process() && browser.process().kill("SIGKILL"); } catch (e) { /* gone */ }
    process.exit(1);
  }, args.timeoutMs + 20000);
  watchdog.unref();
  try {
    const puppeteer = loadPuppeteer(args.npm);
    const timeout = Math.max(1000, deadline - Date.now());
    browser = await puppeteer.launch(args.browser === "firefox" ? {
      // Firefox through WebDriver BiDi (puppeteer-core needs no download).
      browser: "firefox",
      executablePath: args.firefox || "/usr/bin/firefox-esr",
      headless: true,
      timeout: timeout,
    } : {
      executablePath: args.chromium || "/usr/bin/chromium",
      headless: true,    // --headless=new
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
      timeout: timeout,
    });
    page = await browser.newPage();
    page.setDefaultTimeout(Math.max(1000, deadline - Date.now()));
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push("console: " + m.text()); });
    page.on("pageerror", (e) => pageErrors.push("exception: " + (e && e.message || e)));
    await page.setViewport({width: 1280, height: 800});
    // No animated bars: a screenshot shows the widths as they are.
    try {
      await page.emulateMediaFeatures([{name: "prefers-reduced-motion", value: "reduce"}]);
    } catch (e) { /* not over BiDi (Firefox): bars may be caught mid-animation */ }
    await page.evaluateOnNewDocument(recordRows);

    step = "open";
    const url = args.token ? args.url.replace(/#.*$/, "") + "#token=" + encodeURIComponent(args.token) : args.url;
    await page.goto(url, {waitUntil: "domcontentloaded"});
    const conn = await waitFor('#conn to read "live"', () => {
      const t = document.querySelector("#conn")?.textContent.trim();
      return t === "live" || t === "unauthorized" ? t : null;
    });
    if (conn !== "live") throw new Failure(step, "the dashboard reads unauthorized: no token, or a wrong one");

    step = "submit job1";
    result.job1 = await submitJob(args["job1-input"], args["job1-output"]);
    step = "submit job2";
    result.job2 = await submitJob(args["job2-input"], args["job2-output"]);

    step = "cancel job2";
    const r2 = await waitFor(`job ${result.job2} queued or running, with a cancel button`, (id) => {
      const row = document.querySelector(`#jobs [data-job-id="${id}"]`);
      const state = row?.querySelector(".state")?.textContent.trim();
      if (state && !["queued", "running"].includes(state)) return {late: state};
      return row?.querySelector(".cancel") ? {state: state} : null;
    }, result.job2);
    if (r2.late) throw new Failure(step, `job ${result.job2} was ${r2.late} before it could be cancelled`);
    await page.click(`#jobs [data-job-id="${result.job2}"] .cancel`);
    const c2 = await waitFor(`job ${result.job2} cancelled`, (id) => {
      const s = document.querySelector(`#jobs [data-job-id="${id}"] .state`)?.textContent.trim();
      return s === "cancelled" || s === "done" || s === "failed" ? s : null;
    }, result.job2);
    if (c2 !== "cancelled") throw new Failure(step, `job ${result.job2} ended ${c2}, not cancelled`);

    step = "job1 done";
    const j1 = await waitFor(`job ${result.job1} done at 100%`, (id) => {
      const row = document.querySelector(`#jobs [data-job-id="${id}"]`);
      const state = row?.querySelector(".state")?.textContent.trim();
      const pct = Number(row?.querySelector(".bar")?.getAttribute("data-percent"));
      if (state === "failed" || state === "cancelled")
        return {state: state, error: row.querySelector(".err")?.textContent || ""};
      return state === "done" && pct === 100 ? {state: state} : null;
    }, result.job1);
    if (j1.state !== "done") throw new Failure(step, `job ${result.job1} ${j1.state}: ${j1.error}`);

    const seen = await page.evaluate((id) => window.__seen[id] || {states: [], maxPercent: 0}, result.job1);
    result.job1_states = seen.states;
    result.max_percent_seen = seen.maxPercent;

    step = "screenshot";
    await page.evaluate(() => window.scrollTo(0, 0));   // the form's submit scrolled it
    await page.screenshot({path: args.screenshot});
    result.phone_overflow = null;
    if (args["phone-screenshot"]) {
      step = "phone";
      await page.setViewport({width: 390, height: 844});
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const w = await page.evaluate(() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth}));
      await page.screenshot({path: args["phone-screenshot"], fullPage: true});
      result.phone_overflow = w.scroll > w.inner;
      if (result.phone_overflow)
        throw new Failure(step, `horizontal scrolling at phone width: scrollWidth ${w.scroll} > innerWidth ${w.inner}`);
    }
    step = "page errors";
    if (pageErrors.length) throw new Failure(step, "page error: " + pageErrors[0]);
    result.ok = true;
  } catch (e) {
    result.ok = false;
    result.error = e && e.message ? e.message.split("\n")[0] : String(e);
    result.step = e instanceof Failure ? e.step : step;
    if (pageErrors.length) result.page_errors = pageErrors.slice(0, 10);
    if (page && step !== "screenshot") {
      try { await page.screenshot({path: args.screenshot}); } catch (e2) { /* best effort */ }
    }
  }
  if (browser) {
    const proc = browser.process();
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  }
  return result;
}

main().then((result) => {
  const ordered = result.ok
    ? {ok: true, job1: result.job1, job2: result.job2, job1_states: result.job1_states,
       max_percent_seen: result.max_percent_seen, phone_overflow: result.phone_overflow}
    : result;
  process.stdout.write(JSON.stringify(ordered) + "\n");
  process.exit(result.ok ? 0 : 1);
}, (e) => {
  process.stdout.write(JSON.stringify({ok: false, error: String(e && e.message || e), step: "arguments"}) + "\n");
  process.exit(1);
});
