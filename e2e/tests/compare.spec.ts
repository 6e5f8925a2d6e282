// A recorded session run again (issue #18): a notebook whose cells came with replies shows,
// after a cell runs, the recorded replies beside this run's and what differs, JSON-aware; the
// fields typed in "ignore" leave the comparison and are kept in the notebook.
import { test, expect } from './wirebook';

function recorded(id: string, source: string, reply: string) {
  return {
    cell_type: 'code', id, metadata: {}, execution_count: 1, source,
    outputs: [{ output_type: 'display_data', data: { 'text/plain': reply }, metadata: { wirebook: { message: 'text' } } }],
  };
}

test('a recorded cell run again shows its differences, and ignored fields leave them', async ({ page, wirebook }) => {
  const api = `${wirebook.origin}/api/notebooks/session.ipynb?token=${wirebook.token}`;
  const notebook = {
    nbformat: 4, nbformat_minor: 5, metadata: { wirebook: { kernel: { kind: 'echo' } } },
    cells: [
      recorded('quote', '{"price":4,"ts":200}', '{"price":3,"ts":100}'),
      recorded('same', 'hello', 'hello'),
    ],
  };
  expect((await page.request.put(api, { data: { content: notebook, last_modified: null } })).status()).toBe(200);
  await page.goto(`${wirebook.origin}/notebooks/session.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  await expect(cells.nth(0).getByTestId('comparison')).toHaveCount(0);

  await cells.nth(0).getByTestId('run-cell').click();
  const box = cells.nth(0).getByTestId('comparison');
  await expect(box.getByTestId('comparison-summary')).toHaveText('Recorded replies ⇄ this run: 2 differences');
  await expect(box.getByTestId('comparison-differences')).toContainText('reply 1 $.price: 3 → 4');
  await expect(box.getByRole('cell')).toHaveText(['{"price":3,"ts":100}', '{"price":4,"ts":200}']);

  await box.getByTestId('comparison-ignore').fill('ts');
  await box.getByTestId('comparison-ignore').press('Enter');
  await expect(box.getByTestId('comparison-summary')).toHaveText('Recorded replies ⇄ this run: 1 difference');

  await cells.nth(1).getByTestId('run-cell').click();
  const same = cells.nth(1).getByTestId('comparison');
  await expect(same).toHaveAttribute('data-state', 'same');
  await expect(same.getByTestId('comparison-summary')).toHaveText('Recorded replies ⇄ this run: as recorded');
  // The ignored fields are the notebook's, for the next run and for `wirebook run --compare`.
  await expect(cells.nth(1).getByTestId('comparison-ignore')).toHaveValue('ts');
});
