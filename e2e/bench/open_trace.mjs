// Where a cold load's time goes before the first editable cell (issue #16): one build, a Chrome
// trace of each load, printed as a timeline in ms from navigation start.
//
//   node e2e/bench/open_trace.mjs BIN:DIST [--loads 3]
//
// Per load: when each file arrived (resource timing); when the editor bundle and the glue were
// parsed off the main thread and evaluated on it; the wasm's compile and start; the page's own
// `wirebook:…` marks; every layout over 2 ms with the JavaScript that forced it; the cell
// editable (as e2e/bench/open.mjs times it) and the first paint. Then the main thread's busiest
// trace events between the wasm's start and the editable cell. An empty capture; one warm-up
// load first. A fresh browser context per load (a cold cache). Tracing slows the page: compare
// builds with open.mjs, use this to see why.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';

const require = createRequire(new URL('../package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [build, ...rest] = process.argv.slice(2);
if (!build?.includes(':')) throw new Error('usage: open_trace.mjs BIN:DIST [--loads 3]');
const loads = Number(rest[rest.indexOf('--loads') + 1] || 3);
const [bin, dist] = build.split(':');

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.stack',
  'v8',
  'v8.execute',
  'v8.wasm',
  'disabled-by-default-v8.wasm.detailed',
  'blink.user_timing',
  'loading',
];

const token = 'trace' + Math.random().toString(36).slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'wirebook-trace-'));
const child = spawn(bin, ['--dist', dist, '--token', token, '--bind', '127.0.0.1:0', '--notebook-dir', dir], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /wirebook is running at (\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`${bin} exited (${code})`)));
});

const short = (u) => String(u ?? '').replace(/^https?:\/\/[^/]+/, '').replace(/\?.*/, '').split('/').pop();

function timeline(events, page) {
  const nav = events.find(
    (e) => e.name === 'navigationStart' && e.args?.data?.isLoadingMainFrame && e.args.data.documentLoaderURL?.startsWith('http'),
  );
  // The page's renderer only (the browser's own UI pages run their scripts in others).
  events = events.filter((e) => e.pid === nav.pid);
  const threads = {};
  for (const e of events) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
  const main = new Set(Object.keys(threads).filter((k) => threads[k] === 'CrRendererMain'));
  const ms = (ts) => (ts - nav.ts) / 1000;
  const rows = [];
  for (const [name, start, end] of page.resources) rows.push([start, `${name} requested, arrived at ${end.toFixed(0)}`]);
  for (const e of events) {
    if (e.ts < nav.ts) continue;
    const url = short(e.args?.data?.url);
    const dur = (e.dur ?? 0) / 1000;
    if (e.name === 'v8.parseOnBackground') rows.push([ms(e.ts), `${url} parsed off the main thread (${dur.toFixed(0)} ms)`]);
    else if (e.name === 'v8.evaluateModule' && dur >= 1) rows.push([ms(e.ts), `module graph evaluated (${dur.toFixed(0)} ms)`]);
    else if (e.name === 'wasm.StartStreamingCompilation') rows.push([ms(e.ts), 'wasm streaming compile starts']);
    else if (e.name === 'wasm.FinishAsyncCompile') rows.push([ms(e.ts), 'wasm compiled']);
    else if (e.name === 'v8.compileModule' && url) rows.push([ms(e.ts), `${url} compiled as a module`]);
    else if (e.name === 'wasm.ExecuteStartFunction') rows.push([ms(e.ts), 'wasm starts (main)']);
    else if (e.name === 'Layout' && dur >= 2 && main.has(`${e.pid}:${e.tid}`)) {
      const stack = (e.args?.beginData?.stackTrace ?? []).slice(0, 2).map((f) => f.functionName || short(f.url));
      rows.push([ms(e.ts), `layout ${dur.toFixed(1)} ms${stack.length ? ` forced by ${stack.join(' < ')}` : ''}`]);
    }
  }
  for (const [name, at] of page.marks) rows.push([at, name]);
  rows.push([page.editable, 'cell editable']);
  for (const [name, at] of page.paints) rows.push([at, name]);
  rows.sort((a, b) => a[0] - b[0]);
  for (const [at, what] of rows) console.log(`${at.toFixed(0).padStart(6)}  ${what}`);

  // The main thread between the wasm's start and the editable cell, by trace event name.
  const start = events.find((e) => e.name === 'wasm.ExecuteStartFunction' && e.ts > nav.ts);
  if (start) {
    const byName = {};
    for (const e of events) {
      if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`) || e.ts < start.ts || ms(e.ts) > page.editable) continue;
      if (!/^(Layout|UpdateLayoutTree|wasm\.CompileLazy|MinorGC|MajorGC|v8\.newInstance|EvaluateScript|ParseHTML)$/.test(e.name)) continue;
      byName[e.name] ??= [0, 0];
      byName[e.name][0] += (e.dur ?? 0) / 1000;
      byName[e.name][1] += 1;
    }
    const parts = Object.entries(byName)
      .sort((a, b) => b[1][0] - a[1][0])
      .map(([name, [total, count]]) => `${name} ${total.toFixed(1)} ms (${count}×)`);
    console.log(`  main thread, wasm start → editable (${(page.editable - ms(start.ts)).toFixed(0)} ms): ${parts.join(', ')}`);
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  for (let i = 0; i <= loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.addInitScript(() => {
      const check = () => {
        if (document.querySelector('[data-testid=cell-editor][contenteditable=true]')) {
          window.__editable = performance.now();
        } else {
          requestAnimationFrame(check);
        }
      };
      requestAnimationFrame(check);
    });
    if (i > 0) await browser.startTracing(page, { categories: CATEGORIES });
    await page.goto(url);
    await page.waitForFunction(() => window.__editable !== undefined, null, { polling: 50 });
    await page.waitForTimeout(200);
    const trace = i > 0 ? await browser.stopTracing() : null;
    const seen = await page.evaluate(() => ({
      editable: window.__editable,
      resources: performance.getEntriesByType('resource').map((e) => [e.name.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*/, '').split('/').pop(), e.startTime, e.responseEnd]),
      marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('wirebook:')).map((m) => [m.name, m.startTime]),
      paints: performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]),
    }));
    await context.close();
    if (trace) {
      console.log(`load ${i}: editable at ${seen.editable.toFixed(0)} ms`);
      timeline(JSON.parse(trace.toString()).traceEvents, seen);
    }
  }
} finally {
  await browser.close();
  child.kill();
}
