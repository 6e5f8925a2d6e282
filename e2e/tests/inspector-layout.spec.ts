// The inspector's layout: the Time column (wall clock by default; since the capture's start;
// the delta to the previous row of the view or of the connection), kept across reloads and
// never cut off; the splitters between notebook | inspector and list | detail, dragged, moved
// by keys, hidden and brought back, and kept across reloads; columns resized by their header's
// edge; a chosen row that stays put while
// rows arrive, and Page Up/Down that page the view after a wheel scroll.
import type { Locator, Page } from '@playwright/test';
import { fill } from '../echo_fill';
import { test, expect, kernelMessageRows, pickPython, run } from './wirebook';

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

/** A pane's size, or -1 while it is not there (yet). */
async function width(locator: Locator): Promise<number> {
  return (await locator.boundingBox())?.width ?? -1;
}

async function height(locator: Locator): Promise<number> {
  return (await locator.boundingBox())?.height ?? -1;
}

test('notebook | inspector: dragged, moved by keys, hidden and shown, kept on reload', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await runCell(page, 'one');
  const cells = await page.getByTestId('cell').count();
  const notebook = page.locator('[data-pane=notebook]');
  const inspector = page.locator('section[data-pane=inspector]');
  const splitter = page.getByTestId('panes-splitter');
  await expect(splitter).toHaveAttribute('role', 'separator');
  await expect(splitter).toHaveAttribute('aria-valuenow', '50');
  expect(Math.round(await width(notebook))).toBe(640);
  // The bounds it announces follow the window: the panes' minimums are a smaller share of a
  // wider one (380 of 1280 px is 30 %, of 1920 px 20 %).
  await expect(splitter).toHaveAttribute('aria-valuemin', '30');
  await page.setViewportSize({ width: 1920, height: 800 });
  await expect(splitter).toHaveAttribute('aria-valuemin', '20');
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(splitter).toHaveAttribute('aria-valuemin', '30');

  // Dragged 200 px to the left.
  const bar = (await splitter.boundingBox())!;
  await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width / 2 - 100, bar.y + 200, { steps: 4 });
  await page.mouse.move(bar.x + bar.width / 2 - 200, bar.y + 300, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => width(notebook)).toBeLessThan(460);
  expect(Math.abs((await width(notebook)) - 440)).toBeLessThanOrEqual(4);
  await expect(splitter).toHaveAttribute('aria-valuenow', '34');

  // The keyboard: a step, then the ends, each kept within the panes' minimums.
  await splitter.focus();
  const before = await width(notebook);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => width(notebook)).toBeCloseTo(before + 24, 0);
  await page.keyboard.press('Home');
  await expect.poll(() => width(notebook)).toBeCloseTo(380, 0);
  await page.keyboard.press('End');
  await expect.poll(() => width(inspector)).toBeCloseTo(520, 0);
  // At its narrowest the inspector still shows every column header and whole times.
  const head = page.locator('.capture-head');
  for (const column of ['c-time', 'c-conn', 'c-op', 'c-len', 'c-data']) {
    const box = (await head.locator(`.${column}`).boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    expect(box.width).toBeGreaterThan(10);
  }
  const cut = await page.locator('[data-testid=capture-row] .c-time').evaluateAll(
    (els) => els.filter((c) => c.scrollWidth > c.clientWidth).length,
  );
  expect(cut).toBe(0);
  // The notebook's keys did not see the splitter's (End would select the last cell, Enter
  // edit it): the cells are as they were, and no editor took the focus.
  await expect(page.getByTestId('cell')).toHaveCount(cells);
  await expect(page.getByTestId('panes-splitter')).toBeFocused();

  await page.reload();
  await expect.poll(() => width(page.locator('section[data-pane=inspector]'))).toBeCloseTo(520, 0);

  // Hidden by a double click; the tab at the right brings it back.
  await page.getByTestId('panes-splitter').dblclick();
  await expect(page.locator('section[data-pane=inspector]')).toBeHidden();
  await expect(page.getByTestId('inspector-show')).toBeFocused();
  expect(await width(notebook)).toBeGreaterThan(1200);
  await page.getByTestId('inspector-show').click();
  await expect(page.locator('section[data-pane=inspector]')).toBeVisible();
  await expect(page.getByTestId('panes-splitter')).toBeFocused();
  // Enter on the divider hides it too.
  await page.keyboard.press('Enter');
  await expect(page.locator('section[data-pane=inspector]')).toBeHidden();
  await page.getByTestId('inspector-show').click();
  await expect(page.locator('section[data-pane=inspector]')).toBeVisible();
  // Hidden by its header's button, and still hidden after a reload; Enter on the tab shows it.
  await page.getByTestId('inspector-hide').click();
  await expect(page.locator('section[data-pane=inspector]')).toBeHidden();
  await page.reload();
  await expect(page.getByTestId('inspector-show')).toBeVisible();
  await expect(page.locator('section[data-pane=inspector]')).toBeHidden();
  await page.getByTestId('inspector-show').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('section[data-pane=inspector]')).toBeVisible();
  await expect.poll(() => width(page.locator('section[data-pane=inspector]'))).toBeCloseTo(520, 0);
});

test('list | detail: dragged and moved by keys, kept on reload; Enter closes the detail', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await runCell(page, 'one');
  const list = page.locator('.list-area');
  await page.getByTestId('capture-row').first().click();
  await expect(page.getByTestId('frame-detail')).toBeVisible();
  const splitter = page.getByTestId('detail-splitter');
  await expect(splitter).toHaveAttribute('aria-orientation', 'horizontal');
  const start = await height(list);

  const bar = (await splitter.boundingBox())!;
  await page.mouse.move(bar.x + 100, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + 100, bar.y + 150, { steps: 5 });
  await page.mouse.up();
  await expect.poll(() => height(list)).toBeGreaterThan(start + 140);

  await splitter.focus();
  const dragged = await height(list);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => height(list)).toBeCloseTo(dragged - 40, 0);
  await page.keyboard.press('Home');
  await expect.poll(() => height(list)).toBeCloseTo(100, 0);
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => height(list)).toBeCloseTo(120, 0);

  // Kept for the next visit.
  await page.reload();
  await page.getByTestId('capture-row').first().click();
  await expect(page.getByTestId('frame-detail')).toBeVisible();
  await expect.poll(() => height(page.locator('.list-area'))).toBeCloseTo(120, 0);

  // Enter on the divider closes the detail; the list takes the room again.
  await page.getByTestId('detail-splitter').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('frame-detail')).toHaveCount(0);
  await expect.poll(() => height(page.locator('.list-area'))).toBeGreaterThan(300);
});

test('a column is resized by its header edge, dragged or by keys, kept on reload', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(wirebook.url);
  await runCell(page, 'one');
  const head = page.locator('.capture-head .c-conn');
  const cell = page.getByTestId('capture-row').first().locator('.c-conn');
  const start = await width(head);
  expect(start).toBeCloseTo(104, 0);

  const edge = page.locator('[data-testid=column-edge][data-column=conn]');
  const box = (await edge.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect.poll(() => width(head)).toBeCloseTo(164, 0);
  // The rows' cells follow the header's.
  await expect.poll(() => width(cell)).toBeCloseTo(164, 0);
  await expect(edge).toHaveAttribute('aria-valuenow', '164');

  // Keys: → widens by 8, Shift+← narrows by 32, Home is the narrowest.
  await edge.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => width(head)).toBeCloseTo(172, 0);
  await page.keyboard.press('Shift+ArrowLeft');
  await expect.poll(() => width(head)).toBeCloseTo(140, 0);

  // Kept for the next visit; a double click gives the default back.
  await page.reload();
  await expect.poll(() => width(page.locator('.capture-head .c-conn'))).toBeCloseTo(140, 0);
  await page.locator('[data-testid=column-edge][data-column=conn]').dblclick();
  await expect.poll(() => width(page.locator('.capture-head .c-conn'))).toBeCloseTo(104, 0);
  await page.locator('[data-testid=column-edge][data-column=time]').focus();
  await page.keyboard.press('Home');
  await expect.poll(() => width(page.locator('.capture-head .c-time'))).toBeCloseTo(56, 0);
});

test('a chosen row stays put as rows arrive; Page Up pages from the view, not from the row', async ({ page, browser, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await fill(browser, wirebook.origin, 150);
  await page.goto(wirebook.url);
  const list = page.getByTestId('capture-list');
  const rows = page.getByTestId('capture-row');
  await expect(rows.filter({ hasText: 'm149' }).first()).toBeVisible();

  // Clicked while following: the row stays where it is on screen as new rows arrive.
  const chosen = rows.filter({ hasText: 'm140' }).first();
  await chosen.click();
  const seq = await chosen.getAttribute('data-seq');
  const row = page.locator(`[data-testid=capture-row][data-seq="${seq}"]`);
  const y = (await row.boundingBox())!.y;
  const count = Number(await list.getAttribute('aria-rowcount'));
  await fill(browser, wirebook.origin, 30);
  await expect.poll(async () => Number(await list.getAttribute('aria-rowcount'))).toBeGreaterThanOrEqual(count + 60);
  await expect(page.locator('button.jump')).toContainText('new');
  expect((await row.boundingBox())!.y).toBeCloseTo(y, 0);

  // The wheel scrolls far from the selected row; Page Up pages up from what is in view.
  // Waits for the scroll event (the list reads its view from it) and a frame, as a wheel gives
  // them before any key: a key pressed earlier would page from the row chosen before.
  await list.evaluate(
    (el) =>
      new Promise<void>((resolve) => {
        el.addEventListener('scroll', () => requestAnimationFrame(() => resolve()), { once: true });
        el.scrollTop = el.scrollHeight / 2;
      }),
  );
  const before = await list.evaluate((el) => el.scrollTop);
  const viewport = await list.evaluate((el) => el.clientHeight);
  await list.focus();
  await page.keyboard.press('PageUp');
  const selected = page.locator('[data-testid=capture-row][aria-selected=true]');
  await expect(selected).toHaveCount(1);
  expect(await selected.getAttribute('data-seq')).not.toBe(seq);
  const after = await list.evaluate((el) => el.scrollTop);
  // About a viewport up (less a row of context), not back down to the row chosen before.
  expect(before - after).toBeGreaterThan(viewport - 60);
  expect(before - after).toBeLessThan(viewport + 20);
  const box = (await selected.boundingBox())!;
  const view = (await list.boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(view.y - 1);
  expect(box.y + box.height).toBeLessThanOrEqual(view.y + view.height + 1);
  // Page Down from there: to the view's last row, then a page further, near where the wheel
  // left the list.
  await page.keyboard.press('PageDown');
  expect(await list.evaluate((el) => el.scrollTop)).toBeCloseTo(after, 0);
  await page.keyboard.press('PageDown');
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThan(after + viewport - 60);
  expect(await list.evaluate((el) => el.scrollTop)).toBeLessThan(before + viewport);
});

test('kernel rows show msg_type and the short parent, no empty bit cells; rows are not pink', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await pickPython(page);
  await run(page, 0, '6*7');
  await expect(page.getByTestId('cell').first().getByTestId('output-item')).toContainText('42');
  const request = kernelMessageRows(page, 'execute_request').last();
  const reply = kernelMessageRows(page, 'execute_reply').last();
  await expect(reply.locator('.c-op')).toHaveText('execute_reply');
  await expect(reply.locator('.c-op')).toHaveAttribute('title', 'execute_reply on the shell channel');
  // The reply names its parent by the request's msg_id, first 8 characters.
  const msgId = /\nmsg_id (\S+)/.exec((await request.getAttribute('title'))!)![1];
  await expect(reply.locator('.k-parent')).toHaveText(`↳ ${msgId.slice(0, 8)}`);
  await expect(request.locator('.k-parent')).toHaveCount(0);
  await expect(reply.locator('.c-fin, .c-mask')).toHaveCount(0);
  // Frames keep theirs.
  const frame = page.locator('[data-testid=capture-row][data-event=frame]').first();
  await expect(frame.locator('.c-fin')).toHaveText(/^[01]$/);

  // Received rows: a neutral tint (no channel far above the others), the arrow says the rest.
  const tint = await page
    .locator('[data-testid=capture-row][data-direction=to_client]:not(.selected)')
    .first()
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = tint.match(/\d+/g)!.map(Number);
  expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(12);

  // A chip pressed and not pressed look apart: an outline, then filled and struck through
  // (pressed, its clause in the box hides its rows).
  const chip = page.getByTestId('filter-kind').first();
  await expect(chip).toHaveAttribute('aria-pressed', 'false');
  const released = await chip.evaluate((el) => getComputedStyle(el).backgroundColor);
  await chip.click();
  await expect(chip).toHaveAttribute('aria-pressed', 'true');
  const pressed = await chip.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(pressed).not.toBe(released);
  await expect(chip).toHaveCSS('text-decoration-line', 'line-through');
});
