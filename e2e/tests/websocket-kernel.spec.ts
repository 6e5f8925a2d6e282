// Any WebSocket endpoint as a kernel: a python `websockets` server started by the test, picked
// as "WebSocket URL…" with settings; cells with formats (JSON shown as a tree, binary as hex, an
// invalid JSON cell refused with its position); and a HAR recording imported as a notebook.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, expectEditorText, editorTexts } from './wirebook';
import { repo, artifacts, startUpstream, stopUpstream, frames } from './upstream';

/**
 * Picks "WebSocket URL…" in the kernel picker and connects to `url` offering `subprotocols`,
 * reconnecting by itself when `reconnect` is set.
 */
async function pickWebSocket(page: Page, url: string, subprotocols: string, { reconnect = false } = {}) {
  await page.getByTestId('change-kernel').click();
  const picker = page.getByTestId('kernel-picker');
  await expect(picker).toBeVisible();
  await picker.getByTestId('kernel-option').filter({ hasText: 'WebSocket URL…' }).click();
  await page.getByTestId('kernel-url').fill(url);
  await picker.getByTestId('kernel-settings').locator('summary').click();
  // A bad setting is refused under its field and nothing is chosen.
  await page.getByTestId('kernel-connect-timeout').fill('soon');
  await page.getByTestId('kernel-url').press('Enter');
  await expect(picker.getByTestId('kernel-setting-error')).toContainText('whole number');
  await expect(picker).toBeVisible();
  await page.getByTestId('kernel-connect-timeout').fill('5000');
  await page.getByTestId('kernel-subprotocols').fill(subprotocols);
  if (reconnect) await page.getByTestId('kernel-reconnect').check();
  await page.getByTestId('kernel-url').press('Enter');
  await expect(picker).toBeHidden();
}

/** Sets the cell's format and source (inserting cells up to `index`). */
async function fillCell(page: Page, index: number, format: string, source: string) {
  const cells = page.getByTestId('cell');
  while ((await cells.count()) <= index) await page.getByRole('button', { name: 'Insert a cell below' }).click();
  const cell = cells.nth(index);
  await cell.getByTestId('cell-format').selectOption(format);
  // fill() rather than typing: the editor closes brackets and quotes as they are typed.
  await cell.getByTestId('cell-editor').fill(source);
  return cell;
}

/** Sets the cell's format and source and runs it. */
async function runCell(page: Page, index: number, format: string, source: string) {
  const cell = await fillCell(page, index, format, source);
  await cell.getByTestId('run-cell').click();
  return cell;
}

test('a WebSocket URL kernel: JSON as a tree on both hops, hex binary, and an invalid JSON cell refused', async ({ page, wirebook }) => {
  const upstream = await startUpstream();
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(wirebook.url);
    await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
    await pickWebSocket(page, upstream.url, 'superchat, chat');
    const status = page.getByTestId('kernel-status');
    await expect(status).toHaveAttribute('data-state', 'open');
    // The negotiated subprotocol is shown with the state.
    await expect(status).toContainText('open · superchat');

    const json = await runCell(page, 0, 'json', '{"op": "subscribe", "topics": ["prices", "news"]}');
    await expect(json.getByTestId('json-tree')).toContainText('subscribe');
    await expect(json.getByTestId('json-tree')).toContainText('topics');
    await expect(json.getByTestId('output-item').first()).toHaveAttribute('data-kind', 'json');
    for (const hop of ['browser', 'kernel'] as const) {
      await expect(frames(page, hop, 'to_server', 'subscribe').first(), `${hop} sent`).toBeVisible();
      await expect(frames(page, hop, 'to_client', 'subscribe').first(), `${hop} received`).toBeVisible();
    }

    const hex = await runCell(page, 1, 'hex', 'de ad be ef 00 01');
    const binary = hex.locator('[data-testid=output-item][data-kind=binary]');
    await expect(binary).toContainText('binary, 6 bytes');
    await expect(binary).toContainText('de ad be ef 00 01');

    const invalid = await runCell(page, 2, 'json', '{\n  "refused": }');
    await expect(invalid.getByTestId('cell-error')).toContainText('not sent (JSON)');
    await expect(invalid.getByTestId('cell-error')).toContainText('line 2, column');
    await expect(invalid.getByTestId('execution-count')).toHaveText('[ ]');
    // A later cell goes through; the refused one never reached either hop.
    const after = await runCell(page, 3, 'text', 'after-the-refusal');
    await expect(after.getByTestId('output-item')).toHaveText(['after-the-refusal']);
    await expect(frames(page, 'kernel', 'to_server', 'after-the-refusal').first()).toBeVisible();
    await expect(frames(page, 'browser', 'to_server', 'refused')).toHaveCount(0);
    await expect(frames(page, 'kernel', 'to_server', 'refused')).toHaveCount(0);

    // Pretty-print rewrites a JSON cell's source (undoable in the model).
    await json.getByTestId('pretty-print').click();
    await expectEditorText(json.getByTestId('cell-editor'), 
      '{\n  "op": "subscribe",\n  "topics": [\n    "prices",\n    "news"\n  ]\n}',
    );

    // Frames → cells: pick two sent frames on the kernel hop (click, Ctrl+click) and insert
    // cells that resend them after the current cell, formats detected. The list draws only
    // the rows in view (and five more each side), so first narrow it to those frames, as one
    // would among forty rows.
    const filter = page.getByTestId('filter-search');
    await filter.fill('hop == kernel && dir == to_server');
    await json.click();
    await frames(page, 'kernel', 'to_server', 'subscribe').first().click();
    await frames(page, 'kernel', 'to_server', 'after-the-refusal').first().click({ modifiers: ['Control'] });
    await expect(page.locator('[data-testid=capture-row][data-picked=true]')).toHaveCount(2);
    await page.getByTestId('frames-to-cells').click();
    const cells = page.getByTestId('cell');
    await expect(cells).toHaveCount(6);
    await expectEditorText(cells.nth(1).getByTestId('cell-editor'), /"op":\s*"subscribe"/);
    await expect(cells.nth(1).getByTestId('cell-format')).toHaveValue(/json/);
    await expectEditorText(cells.nth(2).getByTestId('cell-editor'), 'after-the-refusal');
    await expect(cells.nth(2).getByTestId('cell-format')).toHaveValue('text');

    await filter.fill('');
    await json.click();
    await page.screenshot({ path: path.join(artifacts, 'websocket-kernel.png') });
  } finally {
    stopUpstream(upstream.child);
  }
});

test('Import HAR… makes a notebook of a recorded WebSocket connection', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('import-har')).toBeVisible();
  // A file that is not a HAR says so and changes nothing.
  await page.getByTestId('har-file').setInputFiles({
    name: 'notes.har',
    mimeType: 'application/json',
    buffer: Buffer.from('{"log": {"entries": []}}'),
  });
  await expect(page.getByTestId('file-browser').getByRole('alert')).toContainText('no WebSocket connections');

  await page.getByTestId('har-file').setInputFiles(path.join(repo, 'shared', 'fixtures', 'har', 'chrome_websocket.har'));
  await expect(page).toHaveURL(/\/notebooks\/Untitled.*\.ipynb/);
  const editors = page.getByTestId('cell-editor');
  await expect.poll(async () => (await editorTexts(editors)).join('\n'))
    .toContain('subscribe');
  const sources = await editorTexts(editors);
  expect(sources.join('\n')).toContain('bye');
  // Received messages are the cells' recorded outputs.
  await expect(page.getByTestId('cell-output').filter({ hasText: 'prices' }).first()).toBeVisible();
  // The notebook's kernel is the recorded socket's URL.
  await expect(page.locator('.kernel-url')).toContainText('wss://stream.example.test/feed?room=7', { timeout: 15_000 });
  const subscribe = page.getByTestId('cell').filter({ has: page.getByTestId('cell-editor') }).nth(1);
  await expect(subscribe.getByTestId('cell-format')).toBeVisible();
});

test('a secret header is sent, never saved, kept by the kept kernel, and asked for again when the notebook opens anew', async ({ page, wirebook }) => {
  const upstream = await startUpstream();
  try {
    await page.goto(wirebook.url);
    await page.getByTestId('new-notebook').click();
    await expect(page).toHaveURL(/\/notebooks\/Untitled.*\.ipynb/);
    const file = decodeURIComponent(new URL(page.url()).pathname.replace(/^\/notebooks\//, ''));
    await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');

    await page.getByTestId('change-kernel').click();
    const picker = page.getByTestId('kernel-picker');
    await picker.getByTestId('kernel-option').filter({ hasText: 'WebSocket URL…' }).click();
    await page.getByTestId('kernel-url').fill(upstream.url);
    await picker.getByTestId('kernel-settings').locator('summary').click();
    await page.getByTestId('kernel-add-header').click();
    await page.getByTestId('kernel-add-header').click();
    const names = picker.getByTestId('kernel-header-name');
    const values = picker.getByTestId('kernel-header-value');
    await names.nth(0).fill('Authorization');
    await values.nth(0).fill('Bearer s3cret-token');
    await picker.getByTestId('kernel-header-secret').nth(0).check();
    await expect(values.nth(0)).toHaveAttribute('type', 'password');
    await names.nth(1).fill('X-Custom');
    await values.nth(1).fill('visible-value');
    // The test server insists on one of its subprotocols.
    await page.getByTestId('kernel-subprotocols').fill('chat');
    await page.getByTestId('kernel-url').press('Enter');
    await expect(picker).toBeHidden();
    // The upstream's greeting repeats the headers it got.
    await expect(frames(page, 'kernel', 'to_client', 's3cret-token').first()).toBeVisible();

    await page.getByTestId('save').click();
    await expect(page.getByTestId('save')).toBeVisible();
    await expect.poll(() => readFileSync(path.join(wirebook.notebookDir, file), 'utf8')).toContain('X-Custom');
    const text = readFileSync(path.join(wirebook.notebookDir, file), 'utf8');
    expect(text).toContain('Authorization');
    expect(text).toContain('visible-value');
    expect(text).not.toContain('s3cret');

    // Reloaded, the page reattaches to the notebook's kept kernel, which has the secret: nothing
    // is asked.
    await page.reload();
    await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
    await expect(page.getByTestId('kernel-status')).toHaveAttribute('title', new RegExp(upstream.url));
    await expect(picker).toBeHidden();

    // Opened again once that kernel is gone: the picker asks for the secret value, with the
    // rest filled in.
    await page.goto('about:blank');
    const api = `${wirebook.origin}/api/kernels`;
    await expect.poll(async () => (await (await page.request.get(`${api}?token=${wirebook.token}`)).json()).kernels[0]?.attached).toBe(0);
    const kept = (await (await page.request.get(`${api}?token=${wirebook.token}`)).json()).kernels;
    for (const kernel of kept) {
      expect((await page.request.delete(`${api}/${kernel.id}?token=${wirebook.token}`)).status()).toBe(204);
    }
    await page.goto(`${wirebook.origin}/notebooks/${encodeURIComponent(file)}?token=${wirebook.token}`);
    await expect(picker).toBeVisible();
    await expect(picker.getByTestId('kernel-settings-note')).toContainText('Authorization');
    await expect(page.getByTestId('kernel-url')).toHaveValue(upstream.url);
    await expect(values.nth(1)).toHaveValue('visible-value');
    await expect(values.nth(0)).toHaveValue('');
    // Connecting without it is refused; with it, the header goes out again.
    await page.getByTestId('kernel-url').press('Enter');
    await expect(picker).toBeVisible();
    await values.nth(0).fill('Bearer again-token');
    await values.nth(0).press('Enter');
    await expect(picker).toBeHidden();
    await expect(frames(page, 'kernel', 'to_client', 'again-token').first()).toBeVisible();
  } finally {
    stopUpstream(upstream.child);
  }
});

test('Run All waits its delay between messages; a lost upstream is reconnected by itself and nothing is resent', async ({ page, wirebook }) => {
  let upstream = await startUpstream();
  const port = Number(new URL(upstream.url).port);
  try {
    await page.goto(wirebook.url);
    const status = page.getByTestId('kernel-status');
    await expect(status).toHaveAttribute('data-state', 'open');
    await pickWebSocket(page, upstream.url, 'chat', { reconnect: true });
    await expect(status).toHaveAttribute('data-state', 'open');

    // Three text cells, sent by Run All 400 ms apart.
    const cells = page.getByTestId('cell');
    for (let i = 0; i < 3; i++) await fillCell(page, i, 'text', `paced-${i}`);
    await page.getByTestId('run-all-delay').fill('400');
    await page.getByTestId('run-all-delay').press('Tab');
    await page.getByRole('button', { name: /^Run all cells/ }).click();
    for (let i = 0; i < 3; i++) {
      await expect(cells.nth(i).getByTestId('output-item')).toHaveText([`paced-${i}`]);
    }
    // The capture's times of the three messages on the kernel hop show the pacing: the browser
    // sends the next one 400 ms after the server said the previous one went to the kernel, so
    // every gap on the wire is at least the delay (without it they are milliseconds apart).
    // One read of the capture's JSONL export: the frames of a text sent on the kernel hop.
    const kernelSends = async () => {
      const exported = await page.request.get(`${wirebook.origin}/api/capture.jsonl?token=${wirebook.token}`);
      const records = (await exported.text()).trim().split('\n').map((line) => JSON.parse(line));
      return (text: string) =>
        records.filter(
          (r) => r.hop === 'kernel' && r.body.event === 'frame' && r.body.direction === 'to_server' && r.body.message?.preview === text,
        );
    };
    const sentAt = await kernelSends();
    const times = [0, 1, 2].map((i) => {
      const sent = sentAt(`paced-${i}`);
      expect(sent, `paced-${i} sent once`).toHaveLength(1);
      return sent[0].time_us as number;
    });
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(400_000);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(400_000);

    // The upstream process dies: no close frame, so the link says it dropped and retries.
    upstream.child.kill('SIGKILL');
    await expect(status).toHaveAttribute('data-state', 'reconnecting');
    // The status shows the latest attempt's reason (soon "refused") and keeps how the
    // connection was lost; the inspector's closed row says it too.
    await expect(status).toContainText(/reconnecting in .* \(attempt \d+\)/);
    await expect(status).toContainText(/attempt [2-9].*refused.* · lost: 1006 Abnormal Closure/);
    await expect(
      page.locator('[data-testid=capture-row][data-hop=kernel][data-event=closed]').filter({ hasText: '1006 Abnormal Closure' }).first(),
    ).toBeVisible();
    await page.screenshot({ path: path.join(artifacts, 'websocket-reconnecting.png') });
    // Back on the same port: the link reconnects by itself, and a new cell goes through.
    upstream = await startUpstream(port);
    await expect(status).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
    await cells.nth(2).click();
    const after = await runCell(page, 3, 'text', 'after-the-reconnect');
    await expect(after.getByTestId('output-item')).toHaveText(['after-the-reconnect']);
    // Nothing sent before the loss went out again (asked of the capture: the list draws only
    // the rows near the newest, and the reconnecting added many).
    const sentByNow = await kernelSends();
    for (let i = 0; i < 3; i++) expect(sentByNow(`paced-${i}`), `paced-${i} not resent`).toHaveLength(1);
  } finally {
    stopUpstream(upstream.child);
  }
});

test('Run All waiting for replies sends each request after its answer, as wirebook run does', async ({ page, wirebook }) => {
  const upstream = await startUpstream();
  try {
    await page.goto(wirebook.url);
    const status = page.getByTestId('kernel-status');
    await expect(status).toHaveAttribute('data-state', 'open');
    await pickWebSocket(page, upstream.url, 'chat');
    await expect(status).toHaveAttribute('data-state', 'open');
    // The peer says "accepted" at once and answers each request 700 ms later: sent at once,
    // or a quiet time apart, the answers would land under the wrong cells.
    const cells = page.getByTestId('cell');
    for (let i = 0; i < 3; i++) await fillCell(page, i, 'json', `{"id": ${i + 1}, "delay_ms": 700}`);
    await page.getByTestId('run-all-waits').check();
    await page.getByRole('button', { name: /^Run all cells/ }).click();
    for (let i = 0; i < 3; i++) {
      const outputs = cells.nth(i).getByTestId('output-item');
      await expect(outputs).toHaveCount(2);
      await expect(outputs.nth(0)).toContainText('accepted');
      await expect(outputs.nth(1)).toContainText(`"id": ${i + 1}`);
    }
  } finally {
    stopUpstream(upstream.child);
  }
});

test('■ stops a paced Run All: the cells not sent yet say so and never go out', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  const status = page.getByTestId('kernel-status');
  // The built-in echo endpoint is a WebSocket kernel.
  await expect(status).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  for (let i = 0; i < 3; i++) await fillCell(page, i, 'text', `stop-me-${i}`);
  await page.getByTestId('run-all-delay').fill('1500');
  await page.getByTestId('run-all-delay').press('Tab');
  await page.getByRole('button', { name: /^Run all cells/ }).click();
  await expect(cells.nth(0).getByTestId('output-item')).toHaveText(['stop-me-0']);
  await page.getByRole('button', { name: /^Interrupt the kernel/ }).click();
  for (const i of [1, 2]) {
    await expect(cells.nth(i).getByTestId('cell-error')).toHaveText('not sent: Run All was stopped (■)');
  }
  // Longer than the delay: a timer of the stopped run would have sent the next cell by now.
  await page.waitForTimeout(2000);
  await expect(frames(page, 'kernel', 'to_server', 'stop-me-0')).toHaveCount(1);
  for (const i of [1, 2]) await expect(frames(page, 'kernel', 'to_server', `stop-me-${i}`)).toHaveCount(0);
  // Stopping the run is what ■ did: no "cannot be interrupted" notice.
  await expect(page.getByText('cannot be interrupted')).toHaveCount(0);
});
