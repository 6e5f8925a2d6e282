// The frame inspector: the detail pane of a masked client frame, keyboard selection that stays
// out of the notebook's keymap, filters, and the export links.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');

async function runCell(page: Page, code: string) {
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cell = page.getByTestId('cell').last();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await editor.fill(code);
  await editor.press('Control+Enter');
  const reply = cell.getByTestId('output-item').last();
  if (/^[[{]/.test(code)) {
    // A JSON reply shows as a tree.
    await expect(reply).toHaveAttribute('data-kind', 'json');
    await expect(reply.getByTestId('json-tree')).toBeVisible();
  } else {
    await expect(reply).toHaveText(code);
  }
}

test('a masked client frame opens in the detail pane: header bits, mask key, hex dump, JSON', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await runCell(page, '{"op":"subscribe","id":7}');

  // The kernel hop's request: wirebook is the client there, so the frame is masked.
  const row = page
    .locator('[data-testid=capture-row][data-hop=kernel][data-direction=to_server][data-event=frame][data-opcode=text]')
    .filter({ hasText: 'subscribe' })
    .first();
  await row.click();
  const detail = page.getByTestId('frame-detail');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('mask-key')).toHaveText(/^([0-9a-f]{2} ){3}[0-9a-f]{2}$/);
  await expect(detail.getByTestId('header-bits')).toContainText('0x1 text');
  const dump = detail.getByTestId('hex-dump');
  // FIN + text opcode, then MASK with a 7-bit length of 25.
  await expect(dump).toContainText('81 99');
  await expect(dump).toContainText('{"op":"sub');
  // Masked as on the wire, the payload's ASCII column no longer reads as JSON.
  await detail.getByTestId('mask-toggle').check();
  await expect(dump).toHaveAttribute('data-masked', 'true');
  await expect(dump).not.toContainText('{"op":"sub');
  await expect(detail.getByTestId('json-tree')).toContainText('"subscribe"');
  // Its counterpart on the browser hop is highlighted.
  await expect(page.locator('[data-testid=capture-row][data-hop=browser][data-counterpart=true]').first()).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'inspector-detail.png') });

  await detail.getByTestId('detail-close').click();
  await expect(detail).toHaveCount(0);
});

test('the keyboard moves through rows, and the notebook keys still work there', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await runCell(page, 'one');
  await runCell(page, 'two');
  const cells = page.getByTestId('cell');
  const cellCount = await cells.count();
  const selectedCell = await page.locator('[data-testid=cell][data-selected=true]').getAttribute('data-cell-id');

  await page.locator('[data-testid=capture-row]').first().click();
  await expect(page.getByTestId('frame-detail')).toBeVisible();
  const first = await page.locator('[data-testid=capture-row][aria-selected=true]').getAttribute('data-seq');
  for (const key of ['ArrowDown', 'ArrowDown', 'End', 'Home', 'ArrowDown']) await page.keyboard.press(key);
  const second = await page.locator('[data-testid=capture-row][aria-selected=true]').getAttribute('data-seq');
  expect(Number(second)).toBeGreaterThan(Number(first));
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('frame-detail')).toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('frame-detail')).toBeVisible();

  // The list's own keys (arrows, Home/End, Enter, Escape for the detail) did not reach the
  // notebook...
  await expect(cells).toHaveCount(cellCount);
  await expect(page.locator('[data-testid=cell][data-selected=true]')).toHaveAttribute('data-cell-id', selectedCell!);
  // ...and the notebook's shortcuts work from here, as from anywhere but a text field.
  await page.keyboard.press('b');
  await expect(cells).toHaveCount(cellCount + 1);
});

test('filters narrow the rows, a bad regex says so, exports link with the token', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await runCell(page, 'needle-123');
  const rows = page.locator('[data-testid=capture-row]');

  await page.getByTestId('filter-search').fill('NEEDLE');
  await expect(rows.first()).toBeVisible();
  // The box filters 150 ms after the last key.
  await expect(async () => {
    for (const text of await rows.allTextContents()) expect(text.toLowerCase()).toContain('needle');
  }).toPass();

  await page.getByTestId('filter-regex').click();
  await page.getByTestId('filter-search').fill('needle-(');
  await expect(page.getByTestId('filter-error')).toBeVisible();
  await page.getByTestId('filter-search').fill('needle-\\d+$');
  await expect(page.getByTestId('filter-error')).toHaveCount(0);
  await expect(rows.first()).toBeVisible();
  await page.getByTestId('filter-search').fill('');

  // Hiding text frames leaves only other kinds.
  await page.locator('[data-testid=filter-kind][data-kind=text]').click();
  await expect(page.locator('[data-testid=capture-row][data-opcode=text]')).toHaveCount(0);
  await expect(page.locator('[data-testid=capture-row][data-event=handshake]').first()).toBeVisible();
  await page.locator('[data-testid=filter-kind][data-kind=text]').click();

  await page.getByTestId('filter-direction').selectOption('to_client');
  await expect(page.locator('[data-testid=capture-row][data-direction=to_server]')).toHaveCount(0);

  await expect(page.getByTestId('export-har')).toHaveAttribute('href', `/api/capture.har?token=${wirebook.token}`);
  await expect(page.getByTestId('export-jsonl')).toHaveAttribute('href', `/api/capture.jsonl?token=${wirebook.token}`);
  await expect(page.getByTestId('export-pcapng')).toHaveAttribute('href', `/api/capture.pcapng?token=${wirebook.token}`);

  // "rows shown": the exports carry the filter, and the server applies it.
  await page.getByTestId('export-rows').selectOption('shown');
  const shownHref = await page.getByTestId('export-jsonl').getAttribute('href');
  expect(shownHref).toContain('filter=');
  const shown = (await (await page.request.get(new URL(shownHref!, page.url()).toString())).text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(shown.filter((r) => r.body.event === 'frame').length).toBeGreaterThan(0);
  for (const record of shown) {
    if (record.body.event === 'frame') expect(record.body.direction).toBe('to_client');
  }
  // "rows picked": the selected row's seq.
  await page.locator('[data-testid=capture-row]').first().click();
  await page.getByTestId('export-rows').selectOption('picked');
  await expect(page.getByTestId('export-pcapng')).toHaveAttribute(
    'href',
    new RegExp(`^/api/capture\\.pcapng\\?seqs=\\d+&token=${wirebook.token}$`),
  );
  await page.getByTestId('export-rows').selectOption('all');

  // Credentials are removed from exports unless asked for; the exported handshakes never
  // hold the token either way.
  await page.getByTestId('export-credentials').check();
  await expect(page.getByTestId('export-har')).toHaveAttribute('href', `/api/capture.har?sensitive=1&token=${wirebook.token}`);
  for (const testid of ['export-har', 'export-jsonl', 'export-pcapng']) {
    const href = await page.getByTestId(testid).getAttribute('href');
    const body = await (await page.request.get(new URL(href!, page.url()).toString())).text();
    expect(body).toContain('/session?token=<redacted>');
    expect(body).not.toContain(wirebook.token);
  }
  await page.getByTestId('export-credentials').uncheck();
  await expect(page.getByTestId('export-har')).toHaveAttribute('href', `/api/capture.har?token=${wirebook.token}`);
});
