// Opening on a large capture (issue #16): navigation → first editable cell, and → the inspector
// showing the newest rows, for two builds side by side (A/B rounds alternated), on an empty
// capture and on one holding 100k records (50k messages to /echo and their echoes).
//
//   node e2e/bench/open.mjs --a BIN:DIST --b BIN:DIST [--rounds 5] [--messages 50000]
//                           [--network KBITS:MS]
//
// `--messages 0` times the empty capture only. `--network 10000:20` loads each page through
// Chromium's network throttling (DevTools' own: 10 Mbit/s down and up, 20 ms added to each
// request), as a browser away from the server would; loopback otherwise. The page's own `performance.mark`s named
// `wirebook:…` (the startup's steps, where a build sets them) are printed as medians too.
//
// B/A is given twice: the ratio of the medians, and by round (see `pairedRatio`).
//
// Each load is a fresh browser context (a cold cache). Times are read in the page from
// performance.now() (0 = navigation start) on the first animation frame at which the cell's
// editor is contenteditable, and at which the inspector shows the newest rows: a row drawn at
// least as new as the capture's newest record when the navigation began
// (`/api/capture/stats`), or, for a build whose list does not scroll to the newest rows by
// itself, the list holding as many rows as the capture had records. Drives Debian's Chromium with the e2e suite's
// playwright-core; this is a benchmark, never a test.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fill } from '../echo_fill.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';

const require = createRequire(new URL('../package.json', import.meta.url));
const { chromium } = require('playwright-core');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const rounds = Number(args.rounds ?? 5);
const network = args.network?.split(':').map(Number);
if (network && (network.length !== 2 || network.some((n) => !(n >= 0)))) {
  throw new Error('--network takes KBITS:MS, e.g. 10000:20');
}
const messages = Number(args.messages ?? 50000);
const builds = ['a', 'b'].map((name) => {
  if (!args[name]) throw new Error(`--${name} BIN:DIST is required`);
  const [bin, dist] = args[name].split(':');
  return { name: name.toUpperCase(), bin, dist };
});

function startServer({ bin, dist }) {
  const token = 'bench' + Math.random().toString(36).slice(2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wirebook-bench-'));
  const child = spawn(bin, ['--dist', dist, '--token', token, '--bind', '127.0.0.1:0', '--notebook-dir', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /wirebook is running at (http:\/\/([^/]+)\/\?token=\S+)/.exec(out);
      if (m) resolve({ child, url: m[1], origin: `http://${m[2]}` });
    });
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code})`)));
  });
}

/** The capture's stats: its newest seq and how many records it holds. */
async function captureStats(url) {
  const u = new URL(url);
  const response = await fetch(`${u.origin}/api/capture/stats${u.search}`);
  return response.json();
}

/** One cold load: [ms to an editable cell, ms to a row at least as new as the capture's newest
 * record before the navigation]. */
async function load(browser, url) {
  const { latest_seq: newest, records } = await captureStats(url);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  if (network) {
    const [kbits, latency] = network;
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const bytesPerSecond = (kbits * 1000) / 8;
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency,
      downloadThroughput: bytesPerSecond,
      uploadThroughput: bytesPerSecond,
    });
  }
  await page.addInitScript(({ newest, records }) => {
    const marks = (window.__openMarks = {});
    const check = () => {
      const now = performance.now();
      if (marks.editable === undefined && document.querySelector('[data-testid=cell-editor][contenteditable=true]')) {
        marks.editable = now;
      }
      if (marks.rows === undefined) {
        // The newest row drawn, or every record held (an inspector that does not scroll to
        // the newest rows by itself has them once its row count is the capture's).
        const rows = document.querySelectorAll('[data-testid=capture-row]');
        const list = document.querySelector('[data-testid=capture-list]');
        const held = Number(list?.getAttribute('aria-rowcount') ?? 0);
        if ([...rows].some((r) => Number(r.dataset.seq) >= newest) || (records > 0 && held >= records)) {
          marks.rows = now;
        }
      }
      if (marks.editable === undefined || marks.rows === undefined) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, { newest, records });
  await page.goto(url);
  try {
    await page.waitForFunction(
      () => window.__openMarks && window.__openMarks.editable !== undefined && window.__openMarks.rows !== undefined,
      null,
      { timeout: 300_000, polling: 100 },
    );
  } catch (error) {
    const marks = await page.evaluate(() => window.__openMarks);
    throw new Error(`${url}: ${error.message}; marks so far ${JSON.stringify(marks)}`);
  }
  const marks = await page.evaluate(() => window.__openMarks);
  const steps = await page.evaluate(() =>
    performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('wirebook:'))
      .map((m) => [m.name, m.startTime]),
  );
  await context.close();
  return [marks.editable, marks.rows, steps];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// A round loads A and B back to back (in alternating order), so each round's B/A compares
// the two builds under the same spell of a noisy machine: the median of those ratios, and in
// how many rounds B came sooner, with the two-sided sign test's p (how often builds that do
// not differ would split the rounds at least that unevenly). A/A runs of 15 rounds on this
// VM have given medians of 0.94-1.07x: a difference of a few percent needs a small p across
// repeated runs before it is believed.
function pairedRatio(as, bs) {
  const ratios = as.map((a, i) => bs[i] / a);
  const sooner = ratios.filter((r) => r < 1).length;
  const later = ratios.filter((r) => r > 1).length;
  const n = sooner + later;
  // P(X <= k) for X ~ Binomial(n, 1/2), both tails.
  let tail = 0;
  let choose = 1;
  for (let i = 0; i <= Math.min(sooner, later); i++) {
    tail += choose;
    choose = (choose * (n - i)) / (i + 1);
  }
  const p = Math.min(1, (2 * tail) / 2 ** n);
  return `${median(ratios).toFixed(2)}x, B sooner in ${sooner} of ${ratios.length} (p ${p.toFixed(3)})`;
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  for (const filled of messages > 0 ? [false, true] : [false]) {
    const servers = [];
    for (const build of builds) servers.push({ build, ...(await startServer(build)) });
    if (filled) for (const s of servers) await fill(browser, s.origin, messages);
    // One warm-up load each (the first Chromium process start, the server's file cache).
    for (const s of servers) await load(browser, s.url);
    const times = Object.fromEntries(builds.map((b) => [b.name, { editable: [], rows: [], steps: {} }]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const [editable, rows, steps] = await load(browser, s.url);
        const t = times[s.build.name];
        t.editable.push(editable);
        t.rows.push(rows);
        for (const [name, at] of steps) (t.steps[name] ??= []).push(at);
      }
    }
    for (const s of servers) s.child.kill();
    const label = filled ? `${2 * messages} records` : 'empty capture';
    for (const b of builds) {
      const t = times[b.name];
      console.log(
        `${label} ${b.name} (${b.bin}): editable median ${median(t.editable).toFixed(0)} ms ` +
          `[${t.editable.map((x) => x.toFixed(0)).join(', ')}]; newest rows median ` +
          `${median(t.rows).toFixed(0)} ms [${t.rows.map((x) => x.toFixed(0)).join(', ')}]`,
      );
      const steps = Object.entries(t.steps).sort((x, y) => median(x[1]) - median(y[1]));
      if (steps.length > 0) {
        console.log(`  ${b.name} steps (medians): ${steps.map(([n, xs]) => `${n} ${median(xs).toFixed(0)}`).join(', ')} ms`);
      }
    }
    const [a, b] = builds.map((x) => times[x.name]);
    console.log(
      `${label} B/A: editable ${(median(b.editable) / median(a.editable)).toFixed(2)}x, ` +
        `newest rows ${(median(b.rows) / median(a.rows)).toFixed(2)}x`,
    );
    console.log(
      `${label} B/A by round: editable ${pairedRatio(a.editable, b.editable)}, ` +
        `newest rows ${pairedRatio(a.rows, b.rows)}`,
    );
  }
} finally {
  await browser.close();
}
