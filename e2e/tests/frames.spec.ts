// Raw frames (issue #18): a cell in the "raw frames" format writes WebSocket frames bit by bit;
// a template puts a classic broken frame in it, and the echo endpoint answers it with the close
// RFC 6455 asks for, which the inspector shows on the kernel hop.
import { test, expect } from './wirebook';

test('a template frame breaks the echo endpoint, which closes with 1002', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  const status = page.getByTestId('kernel-status');
  await expect(status).toHaveAttribute('data-state', 'open');
  const cell = page.getByTestId('cell').first();
  await cell.getByTestId('cell-format').selectOption('frame');
  const templates = cell.getByTestId('frame-template');
  await expect(templates).toBeVisible();
  await templates.selectOption('RSV1 set without an extension');
  await expect(cell.getByTestId('cell-editor')).toContainText('"rsv1": true');
  await cell.getByTestId('run-cell').click();

  // The frame went out as written: RSV1 set, a finding on it; the echo closed with 1002.
  const sent = page.locator(
    '[data-testid=capture-row][data-hop=kernel][data-direction=to_server][data-event=frame]',
  ).filter({ hasText: 'hello' });
  await expect(sent.first()).toBeVisible();
  const close = page.locator(
    '[data-testid=capture-row][data-hop=kernel][data-direction=to_client][data-opcode=close]',
  );
  await expect(close.first()).toBeVisible();
  await expect(close.first()).toContainText('1002');
  await expect(status).toHaveAttribute('data-state', 'closed');
});

test('a frame cell says what is wrong before anything is sent', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cell = page.getByTestId('cell').first();
  await cell.getByTestId('cell-format').selectOption('frame');
  await cell.getByTestId('cell-editor').fill('{"opcode": 16}');
  await cell.getByTestId('run-cell').click();
  await expect(cell.getByTestId('cell-error')).toContainText('opcode 16 is not 0–15');
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
});
