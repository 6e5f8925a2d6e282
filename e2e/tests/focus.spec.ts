// Where the keyboard goes: the notebook's shortcuts work after a click in the inspector, Esc
// there goes back to the notebook, and a dialog gives the focus back to where it was.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './wirebook';

async function focusedTestId(page: Page) {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

async function focusIsInACell(page: Page) {
  return page.evaluate(() => !!document.activeElement?.closest('[data-testid=cell]'));
}

test('the notebook keys work from the inspector, and Esc there goes back to the notebook', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  await expect(cells).toHaveCount(1);

  await page.locator('[data-testid=capture-row]').first().click();
  await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-pane=inspector]'))).toBe(true);
  // b inserts a cell below, as in the notebook's command mode.
  await page.keyboard.press('b');
  await expect(cells).toHaveCount(2);
  // h opens the shortcuts, Esc closes them.
  await page.locator('[data-testid=capture-row]').first().click();
  await page.keyboard.press('h');
  await expect(page.locator('[data-overlay]')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('[data-overlay]')).toHaveCount(0);

  // Esc in the inspector closes the record's detail the click opened, then puts the focus on
  // the notebook's active cell, in command mode.
  await page.locator('[data-testid=capture-row]').first().click();
  await page.keyboard.press('Escape');
  await expect.poll(() => focusedTestId(page)).toBe('capture-list');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');
  await expect.poll(() => focusedTestId(page)).toBe('cell');
  // The inspector's own keys stay its own: ↓ moves in its list, not in the notebook.
  await page.locator('[data-testid=capture-row]').first().click();
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-pane=inspector]'))).toBe(true);
});

test('closing the conflict dialog gives the focus back to the cell being edited', async ({ page, wirebook }) => {
  const file = path.join(wirebook.notebookDir, 'focus.ipynb');
  const empty = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };
  writeFileSync(file, JSON.stringify(empty));
  await page.goto(`${wirebook.origin}/notebooks/focus.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await page.keyboard.press('Enter');
  await page.keyboard.type('mine');
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  writeFileSync(file, JSON.stringify({ ...empty, metadata: { changed: true } }));
  const dialog = page.getByTestId('save-conflict');
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAttribute('role', 'alertdialog');
  await dialog.getByRole('button', { name: 'Keep editing' }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => focusIsInACell(page)).toBe(true);
  await page.keyboard.type(' too');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');
});
