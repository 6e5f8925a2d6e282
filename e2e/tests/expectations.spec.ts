// A cell's expectations (issue #18): added from the line under the cell, checked after each run
// (✓ or ✗, as `wirebook run` judges them), kept in the cell's metadata, removed with ×.
import { test, expect, expectConnected } from './wirebook';

test('expectations are added, checked after a run, and removed', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cell = page.getByTestId('cell').first();
  await cell.getByTestId('cell-editor').fill('ping');
  await cell.getByTestId('expectation-add').click();
  await cell.getByTestId('expectation-kind').selectOption('text');
  await cell.getByTestId('expectation-value').fill('^pong$');
  await cell.getByTestId('expectation-value').press('Enter');
  await cell.getByTestId('expectation-add').click();
  await cell.getByTestId('expectation-kind').selectOption('count');
  await cell.getByTestId('expectation-value').fill('two');
  await cell.getByTestId('expectation-save').click();
  await expect(cell.getByTestId('expectation-error')).toContainText('count is a whole number');
  await cell.getByTestId('expectation-value').fill('1');
  await cell.getByTestId('expectation-save').click();
  const chips = cell.getByTestId('expectation');
  await expect(chips).toHaveText([/text ~ "\^pong\$"/, /1 reply/]);
  await expect(chips.first()).toHaveAttribute('data-state', 'unchecked');

  // The echo answers "ping": the text fails, the count holds.
  await cell.getByTestId('run-cell').click();
  await expect(cell.getByTestId('output-item')).toHaveText(['ping']);
  await expect(chips.nth(0)).toHaveAttribute('data-state', 'failed');
  await expect(chips.nth(0)).toHaveAttribute('title', /saw 1 reply, "ping"/);
  await expect(chips.nth(1)).toHaveAttribute('data-state', 'held');

  // Fixed and run again: both hold.
  await cell.getByTestId('cell-editor').fill('pong');
  await cell.getByTestId('run-cell').click();
  await expect(cell.getByTestId('output-item')).toHaveText(['pong']);
  await expect(chips.nth(0)).toHaveAttribute('data-state', 'held');

  await chips.nth(1).getByRole('button').click();
  await expect(chips).toHaveCount(1);
});
