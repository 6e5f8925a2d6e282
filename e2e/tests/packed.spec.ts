// A binary payload read as MessagePack or CBOR in the record pane: bytes sent as a hex cell
// through the echo kernel are offered both decodings; MessagePack shows the tree, CBOR says in
// words why these bytes are not CBOR, and a text frame is never offered either.
import { test, expect, expectConnected, run } from './wirebook';

test('a binary frame is shown as a MessagePack tree, and CBOR says why not', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  const cell = page.getByTestId('cell').first();
  await cell.getByTestId('cell-format').selectOption('hex');
  // MessagePack {"compact": true, "schema": 0, "tags": [1, -1]}.
  await run(page, 0, '83 a7 63 6f 6d 70 61 63 74 c3 a6 73 63 68 65 6d 61 00 a4 74 61 67 73 92 01 ff');
  await expect(page.getByTestId('cell')).toHaveCount(2);

  const frame = page
    .locator('[data-testid=capture-row][data-hop=kernel][data-direction=to_client][data-event=frame]')
    .first();
  await frame.click();
  const views = page.getByTestId('packed-views');
  await expect(page.getByTestId('packed-hint')).toHaveText('decodes as MessagePack');
  await views.getByTestId('packed-format').filter({ hasText: 'MessagePack' }).click();
  const tree = page.getByTestId('packed-tree');
  await expect(tree).toHaveAttribute('data-format', 'MessagePack');
  await expect(tree.getByTestId('json-tree')).toContainText('compact');
  await expect(tree.getByTestId('json-tree')).toContainText('true');
  await expect(tree.getByTestId('json-tree')).toContainText('schema');
  await expect(tree.getByTestId('json-tree')).toContainText('-1');

  await views.getByTestId('packed-format').filter({ hasText: 'CBOR' }).click();
  await expect(page.getByTestId('packed-tree')).toHaveCount(0);
  await expect(page.getByTestId('packed-error')).toContainText('not CBOR: at byte');

  // A text frame offers neither. With a row open the list stays where it is: the new rows
  // are below, past the few it draws beyond the view.
  await run(page, 1, 'hai');
  await expect(page.getByTestId('cell')).toHaveCount(3);
  await page.getByRole('button', { name: /jump to latest/ }).click();
  await page
    .locator('[data-testid=capture-row][data-hop=kernel][data-direction=to_client][data-event=frame]')
    .filter({ hasText: 'hai' })
    .first()
    .click();
  await expect(page.getByTestId('frame-detail')).toContainText('hai');
  await expect(page.getByTestId('packed-views')).toHaveCount(0);
});
