// Kernels outlive the page: a reload reattaches to the notebook's kernel (its variables kept,
// the output that arrived meanwhile shown), the scratch notebook's kernel becomes its file's
// when first saved, and the Running kernels dialog lists the kernels and shuts one down.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, pickPython, PYTHON, run } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');

async function save(page: Page) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
}

test('reload keeps x, and shows what the kernel printed meanwhile', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  await page.goto(`${wirebook.origin}/notebooks/kept.ipynb?token=${wirebook.token}`);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await run(page, 0, 'x = 41');
  await expect(cells.nth(0).getByTestId('execution-count')).toHaveText('[1]');
  // A cell that prints after the page is gone.
  await run(page, 1, 'import time\ntime.sleep(2)\nprint("meanwhile", x)');
  await expect(cells.nth(1).getByTestId('execution-count')).toHaveText('[*]');
  await save(page);
  await page.reload();

  // The same kernel, reattached: no restart, no kernel switch.
  await expect(page.getByTestId('kernel-status')).toContainText(PYTHON);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['meanwhile 41'], { timeout: 15_000 });
  await run(page, 2, 'x + 1');
  await expect(cells.nth(2).getByTestId('output-item')).toContainText(['42']);
  await expect(cells.nth(2).getByTestId('execution-count')).toHaveText('[3]');
});

test('the Running kernels dialog lists the kernels and shuts one down', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${wirebook.origin}/notebooks/listed.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  // Another tab's scratch notebook has a kernel of its own.
  const other = await page.context().newPage();
  await other.goto(wirebook.url);
  await expect(other.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');

  // From the palette, by keyboard.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+k');
  // Its input takes the focus once it is drawn; keys typed before would go to the notebook.
  await expect(page.getByTestId('command-palette').locator('input')).toBeFocused();
  await page.keyboard.type('running kernels');
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('running-kernels');
  await expect(dialog).toBeVisible();
  const rows = dialog.getByTestId('running-kernel');
  await expect(rows).toHaveCount(2);
  const mine = rows.filter({ hasText: 'listed.ipynb' });
  await expect(mine).toContainText('this page');
  await expect(mine.getByTestId('running-kernel-pages')).toHaveText('1 page');
  await expect(mine.getByTestId('running-kernel-state')).toHaveText('open');
  await expect(rows.filter({ hasText: 'scratch notebook' })).toHaveCount(1);
  await page.screenshot({ path: path.join(artifacts, 'running-kernels.png') });

  // Shut this page's kernel down from the keyboard: the page sees it closed.
  await mine.getByTestId('running-kernel-shut-down').focus();
  await page.keyboard.press('Enter');
  await expect(mine).toHaveAttribute('data-state', 'closed');
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'closed');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // The other tab closes: its scratch kernel is kept (no page open) until culled.
  await other.close();
  await page.getByTestId('status-running-kernels').click();
  await expect(dialog).toBeVisible();
  const scratch = rows.filter({ hasText: 'scratch notebook' });
  await expect(scratch.getByTestId('running-kernel-pages')).toHaveText('no page open');
  await expect(scratch).toContainText('unless its notebook is reopened');
  await scratch.getByTestId('running-kernel-shut-down').click();
  await expect(rows.filter({ hasText: 'scratch notebook' })).toHaveCount(0);
});

test('the scratch notebook saved as a file keeps its kernel across a reload', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  await page.goto(wirebook.url);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await run(page, 0, 'x = 41');
  await expect(cells.nth(0).getByTestId('execution-count')).toHaveText('[1]');
  // The first save creates a file and the URL follows; the tab's kernel becomes the file's.
  await save(page);
  await expect(page).toHaveURL(/\/notebooks\/Untitled\.ipynb/);
  await page.reload();
  await expect(page.getByTestId('kernel-status')).toContainText(PYTHON);
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle');
  await run(page, 1, 'x + 1');
  await expect(cells.nth(1).getByTestId('output-item')).toContainText(['42']);
});
