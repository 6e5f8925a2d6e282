// A protocol lens in the record pane: JSON-RPC sent through the echo kernel is read as calls and
// results, and the result the echo brings back is paired with the call, with its latency.
import { test, expect, expectConnected, run } from './wirebook';

test('the record pane reads JSON-RPC and pairs a result with its call', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  await run(page, 0, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}');
  await expect(page.getByTestId('cell')).toHaveCount(2);

  const call = page
    .locator('[data-testid=capture-row][data-hop=kernel][data-direction=to_server][data-event=frame]')
    .filter({ hasText: '"method":"add"' });
  await call.first().click();
  await expect(page.getByTestId('protocol-name')).toHaveText('JSON-RPC');
  await expect(page.getByTestId('protocol-summary')).toHaveText('call add id 7');
  await expect(page.getByTestId('protocol-unanswered')).toBeVisible();

  // The echo returns each message: this result, echoed, answers the call sent in cell 1, and
  // the open pane learns it as the records come.
  await run(page, 1, '{"jsonrpc":"2.0","result":3,"id":7}');
  await expect(page.getByTestId('protocol-summary')).toHaveText('call add id 7');
  const answeredBy = page.getByTestId('protocol-answered-by');
  await expect(answeredBy).toContainText(/after [\d.]+ (µs|ms|s)/);
  await expect(page.getByTestId('protocol-unanswered')).toHaveCount(0);

  await answeredBy.getByRole('button').first().click();
  await expect(page.getByTestId('protocol-summary')).toHaveText('result id 7: 3');
  await expect(page.getByTestId('protocol-answers')).toContainText('request, after');
});

test('the list shows each message through its lens, with a latency for the answer', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  await run(page, 0, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}');
  await expect(page.getByTestId('cell')).toHaveCount(2);

  const kernelRows = page.locator(
    '[data-testid=capture-row][data-hop=kernel][data-event=frame]',
  );
  const call = kernelRows.filter({ hasText: '"method":"add"' }).first();
  await expect(call.getByTestId('protocol-cell')).toHaveText('JSON-RPC call add id 7');
  // The echo's copy of the call comes back as a call too: both wait for an answer.
  await expect(call.getByTestId('latency-cell')).toHaveText('…');

  // A result with the same id, sent after the call, answers it: the call stops waiting and
  // the result says how long after it came.
  await run(page, 1, '{"jsonrpc":"2.0","result":3,"id":7}');
  const result = kernelRows
    .filter({ has: page.locator('[data-testid=protocol-cell]', { hasText: 'JSON-RPC result id 7: 3' }) })
    .first();
  await expect(result.getByTestId('latency-cell')).toHaveText(/^[\d.]+ (µs|ms|s)$/);
  await expect(call.getByTestId('latency-cell')).toHaveText('');
  await expect(result).toHaveAttribute('title', /JSON-RPC result id 7: 3, [\d.]+ (µs|ms|s) after its request/);

  // A connection without a lens (the browser hop's session protocol) leaves the column blank.
  const browserRow = page.locator('[data-testid=capture-row][data-hop=browser][data-event=frame]').first();
  await expect(browserRow.getByTestId('protocol-cell')).toHaveText('');
});

test('the filter box narrows the rows by a lens field and by latency', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  await run(page, 0, '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}');
  await expect(page.getByTestId('cell')).toHaveCount(2);
  await run(page, 1, '{"jsonrpc":"2.0","method":"log","params":["hi"]}');
  await run(page, 2, '{"jsonrpc":"2.0","result":3,"id":7}');

  const list = page.getByTestId('capture-list');
  const box = page.getByTestId('filter-search');
  // The protocol's fields complete once its name is typed.
  await box.pressSequentially('hop == kernel && jsonrpc.me');
  await expect(page.getByTestId('filter-suggestion')).toHaveText([/jsonrpc\.method/]);
  await page.keyboard.press('Tab');
  await box.pressSequentially(' == add');
  // The call, and the echo's copy of it.
  await expect(list).toHaveAttribute('aria-rowcount', '2');
  for (const row of await page.getByTestId('capture-row').all()) {
    await expect(row.getByTestId('protocol-cell')).toHaveText('JSON-RPC call add id 7');
  }
  await expect(page.getByTestId('filter-error')).toHaveCount(0);

  // Answers have a latency: the result and its echo, each answering the call before it.
  await box.fill('latency && hop == kernel');
  await expect(list).toHaveAttribute('aria-rowcount', '2');
  for (const row of await page.getByTestId('capture-row').all()) {
    await expect(row.getByTestId('latency-cell')).toHaveText(/^[\d.]+ (µs|ms|s)$/);
  }
  await box.fill('jsonrpc && !jsonrpc.id && dir == to_server && hop == kernel');
  await expect(list).toHaveAttribute('aria-rowcount', '1');
  await expect(page.getByTestId('protocol-cell')).toHaveText('JSON-RPC notify log');
});
