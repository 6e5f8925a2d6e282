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
