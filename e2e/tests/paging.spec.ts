// Opening on a large capture: the page gets the newest page of records, the inspector fetches
// older pages as it scrolls to the top, and a filter's older pages are filtered by the server.
import { fill } from '../echo_fill';
import { test, expect } from './wirebook';

test('the inspector opens on the newest rows and loads older ones as it scrolls up', async ({ page, browser, wirebook }) => {
  await fill(browser, wirebook.origin, 600);
  await page.goto(wirebook.url);
  const list = page.getByTestId('capture-list');
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm599' }).first()).toBeVisible();
  // One page (96 records) came at first; the rest are on the server.
  const first = Number(await list.getAttribute('aria-rowcount'));
  expect(first).toBeLessThanOrEqual(300);
  await expect(page.getByTestId('capture-older')).toContainText('older not loaded');

  // Scrolling to the top fetches the next older page; the rows in view stay where they were
  // (the first one moves down by the rows that arrived above it).
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect.poll(async () => Number(await list.getAttribute('aria-rowcount'))).toBeGreaterThan(first);
  const added = Number(await list.getAttribute('aria-rowcount')) - first;
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThanOrEqual(added * 20 - 40);

  // Up and up until the start of the capture: every message is there.
  await expect(async () => {
    await list.evaluate((el) => (el.scrollTop = 0));
    await expect(page.getByTestId('capture-older-row')).toHaveAttribute('data-state', 'start', { timeout: 500 });
  }).toPass();
  expect(Number(await list.getAttribute('aria-rowcount'))).toBeGreaterThanOrEqual(1200);
  await list.evaluate((el) => (el.scrollTop = 0));
  await expect(page.locator('[data-testid=capture-row] .c-data').filter({ hasText: /^m0$/ }).first()).toBeVisible();

  // Pages come over HTTP, which is not captured: scrolling up added no rows of its own (on
  // /session each query was a row, and a "1 new" badge).
  await expect(page.locator('button.jump')).toBeVisible();
  await expect(page.locator('button.jump')).not.toContainText('new');
  await page.getByTestId('filter-search').fill('capture_page');
  await expect(page.getByTestId('capture-older-row')).toHaveAttribute('data-state', 'start');
  await expect(list).toHaveAttribute('aria-rowcount', '0');
  await expect(page.locator('button.jump')).not.toContainText('new');
});

test('the inspector draws the newest rows first, not the oldest of its first page', async ({ page, browser, wirebook }) => {
  await fill(browser, wirebook.origin, 600);
  // The message of every row the page draws, from its first frame on.
  await page.addInitScript(() => {
    const drawn: string[] = [];
    (window as unknown as { drawnRows: string[] }).drawnRows = drawn;
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (!(node instanceof Element)) continue;
          const rows = node.matches('[data-testid=capture-row]')
            ? [node]
            : [...node.querySelectorAll('[data-testid=capture-row]')];
          for (const row of rows) drawn.push(row.querySelector('.c-data')?.textContent ?? '');
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(wirebook.url);
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm599' }).first()).toBeVisible();
  const drawn = await page.evaluate(() => (window as unknown as { drawnRows: string[] }).drawnRows);
  const messages = drawn.flatMap((text) => /^m(\d+)$/.exec(text)?.slice(1) ?? []).map(Number);
  // The first page holds m552 to m599 and their echoes; the first frames draw the newest 50
  // rows or so (m574… here). Drawing the page's top first (m552…) and the newest a frame or two
  // later was a bug.
  expect(messages.length).toBeGreaterThan(0);
  expect(Math.min(...messages)).toBeGreaterThan(562);
});

test('a filter pages through the server: matches older than the first page arrive', async ({ page, browser, wirebook }) => {
  await fill(browser, wirebook.origin, 600);
  await page.goto(wirebook.url);
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm599' }).first()).toBeVisible();
  // m40..m49 are far older than the first page: only the server can find them.
  await page.getByTestId('filter-regex').click();
  await page.getByTestId('filter-search').fill('^m4[0-9]$');
  const list = page.getByTestId('capture-list');
  // Each message and its echo: 20 rows, found by the server's filter.
  await expect(list).toHaveAttribute('aria-rowcount', '20');
  await expect(page.getByTestId('capture-older-row')).toHaveAttribute('data-state', 'start');
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm45' })).toHaveCount(2);
  // Clearing the filter shows the newest rows again, without the pages of the filter.
  await page.getByTestId('filter-search').fill('');
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm599' }).first()).toBeVisible();
});
