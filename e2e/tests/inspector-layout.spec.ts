// The inspector's Time column (wall clock by default; since the capture's start; the delta to
// the previous row of the view or of the connection), kept across reloads and never cut off.
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './wirebook';

async function runCell(page: Page, code: string) {
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cell = page.getByTestId('cell').last();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await editor.fill(code);
  await editor.press('Control+Enter');
  await expect(cell.getByTestId('output-item').last()).toHaveText(code);
}

/** Every row's Time text and connection, top to bottom (the list is short: all in view). */
async function timeCells(rows: Locator): Promise<{ time: string; conn: string }[]> {
  return rows.evaluateAll((els) =>
    els.map((el) => ({
      time: el.querySelector('.c-time')!.textContent!,
      conn: el.getAttribute('data-conn')!,
    })),
  );
}

const seconds = (text: string) => Number(text);

test('the Time column is the wall clock, switchable to since start and deltas, kept on reload', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await runCell(page, 'one');
  await runCell(page, 'two');
  const list = page.getByTestId('capture-list');
  const rows = page.getByTestId('capture-row');
  const mode = page.getByTestId('time-mode');
  await expect(rows.filter({ hasText: 'two' }).first()).toBeVisible();

  // Local wall-clock time by default, as DevTools shows it, near the browser's own clock.
  await expect(list).toHaveAttribute('data-time-mode', 'clock');
  await expect(mode).toHaveAttribute('title', /Wall-clock time/);
  const clocks = await timeCells(rows);
  for (const { time } of clocks) expect(time).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
  const [h, m, s] = clocks[clocks.length - 1].time.split(':').map(Number);
  const now = await page.evaluate(() => {
    const d = new Date();
    return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
  });
  const apart = Math.abs(now - (h * 3600 + m * 60 + s));
  expect(Math.min(apart, 86_400 - apart)).toBeLessThan(120);
  // The widest form is not cut off.
  const cut = await rows.evaluateAll((els) =>
    els.map((el) => el.querySelector('.c-time') as HTMLElement).filter((c) => c.scrollWidth > c.clientWidth).length,
  );
  expect(cut).toBe(0);

  // Since start: this fresh server's first record is loaded, so it is the capture's start.
  await mode.selectOption('since-start');
  await expect(list).toHaveAttribute('data-time-mode', 'since-start');
  await expect(mode).toHaveAttribute('title', /since the capture started \(its first record, at \d\d:/);
  await expect(rows.first().locator('.c-time')).toHaveText('+0.000');
  const since = await timeCells(rows);
  for (const { time } of since) expect(time).toMatch(/^\+\d+\.\d{3}$/);

  // Δ since the row above: the first has none; the others are the differences of the above.
  await mode.selectOption('delta-view');
  await expect(rows.first().locator('.c-time')).toHaveText('—');
  const deltas = await timeCells(rows);
  expect(deltas.length).toBe(since.length);
  for (let i = 1; i < deltas.length; i++) {
    const expected = seconds(since[i].time) - seconds(since[i - 1].time);
    expect(Math.abs(seconds(deltas[i].time) - expected)).toBeLessThanOrEqual(0.0015);
  }

  // Δ in the connection: from the previous row of the same connection.
  await mode.selectOption('delta-conn');
  await expect(mode).toHaveAttribute('title', /same connection/);
  const inConn = await timeCells(rows);
  let checked = 0;
  for (let i = 0; i < inConn.length; i++) {
    let j = i - 1;
    while (j >= 0 && since[j].conn !== since[i].conn) j--;
    if (j < 0) {
      expect(inConn[i].time).toBe('—');
      continue;
    }
    const expected = seconds(since[i].time) - seconds(since[j].time);
    expect(Math.abs(seconds(inConn[i].time) - expected)).toBeLessThanOrEqual(0.0015);
    if (j !== i - 1) checked++;
  }
  // The browser and kernel hops interleave: some rows skipped rows of other connections.
  expect(checked).toBeGreaterThan(0);

  // The choice is kept for the next visit.
  await page.reload();
  await expect(page.getByTestId('capture-list')).toHaveAttribute('data-time-mode', 'delta-conn');
  await expect(page.getByTestId('time-mode')).toHaveValue('delta-conn');
  await expect(rows.first().locator('.c-time')).toHaveText('—');
});
