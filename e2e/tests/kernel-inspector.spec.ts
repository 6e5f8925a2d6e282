// Kernel traffic in the inspector, against a real ipykernel: the messages of a cell on every
// channel, a message's wire parts with its verified signature, the tree threaded by parent
// msg_id, and the composer sending kernel_info_request and showing the reply under it.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, kernelMessageRows, pickPython } from './wirebook';

const repo = path.resolve(__dirname, '..', '..');
const artifacts = path.join(repo, 'artifacts');

test.setTimeout(60_000);

async function runCell(page: Page, code: string, output: string) {
  const cell = page.getByTestId('cell').last();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await editor.fill(code);
  await editor.press('Control+Enter');
  await expect(cell.getByTestId('output-item').first()).toContainText(output, { timeout: 20_000 });
}

test('a cell\'s kernel messages, their wire parts, the tree, and the composer', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await pickPython(page);
  await runCell(page, "print('hi from the kernel')", 'hi from the kernel');

  // Only the kernel's messages about the cell: the msg_type filter takes several words.
  await page.getByTestId('filter-msg-type').fill('execute_request, status, stream, execute_reply');
  await expect(kernelMessageRows(page, 'execute_request').last()).toBeVisible();
  await expect(kernelMessageRows(page, 'stream').last()).toContainText('hi from the kernel');
  await expect(kernelMessageRows(page, 'execute_reply').last()).toBeVisible();
  await expect(kernelMessageRows(page, 'status').last()).toBeVisible();
  await expect(kernelMessageRows(page, 'execute_request').last()).toHaveAttribute('data-direction', 'to_server');
  await expect(kernelMessageRows(page, 'stream').last()).toHaveAttribute('data-direction', 'to_client');

  // One click hides status and heartbeats.
  await page.locator('[data-testid=filter-kind][data-kind="status/hb"]').click();
  await expect(kernelMessageRows(page, 'status')).toHaveCount(0);
  await expect(kernelMessageRows(page, 'stream').last()).toBeVisible();

  // The request's detail: the ZeroMQ parts in order, signed with the connection's key.
  await kernelMessageRows(page, 'execute_request').last().click();
  const detail = page.getByTestId('frame-detail');
  await expect(detail.getByTestId('signature-badge')).toHaveText('verified');
  const parts = detail.getByTestId('wire-part');
  await expect(detail.locator('[data-testid=wire-part][data-part="<IDS|MSG>"]')).toHaveCount(1);
  await expect(parts.filter({ hasText: 'content' }).last()).toContainText('hi from the kernel');
  const names = await parts.evaluateAll((els) => els.map((e) => e.getAttribute('data-part')));
  const order = ['<IDS|MSG>', 'signature', 'header', 'parent_header', 'metadata', 'content'];
  expect(names.filter((n) => order.includes(n!))).toEqual(order);

  // The reply links to its request.
  await kernelMessageRows(page, 'execute_reply').last().click();
  await expect(detail.getByTestId('kernel-msg-type')).toHaveText('execute_reply');
  await detail.getByTestId('kernel-parent-link').click();
  await expect(detail.getByTestId('kernel-msg-type')).toHaveText('execute_request');
  await detail.getByTestId('detail-close').click();

  // The tree: the reply and the stream hang under the request.
  await page.getByTestId('view-tree').click();
  await expect(page.getByTestId('view-tree')).toHaveAttribute('aria-pressed', 'true');
  const request = kernelMessageRows(page, 'execute_request').last();
  await expect(request).toHaveAttribute('data-depth', '0');
  await expect(kernelMessageRows(page, 'execute_reply').last()).toHaveAttribute('data-depth', '1');
  await expect(kernelMessageRows(page, 'stream').last()).toHaveAttribute('data-depth', '1');
  const requestSeq = Number(await request.getAttribute('data-seq'));
  const seqs = await page
    .locator('[data-testid=capture-row]')
    .evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-seq')), e.getAttribute('data-depth')]));
  const at = seqs.findIndex(([seq]) => seq === requestSeq);
  expect(at).toBeGreaterThanOrEqual(0);
  // Right after the request come its children, deeper by one.
  expect(seqs[at + 1][1]).toBe('1');

  // The composer: kernel_info_request from its template, the reply threaded under it.
  await page.getByTestId('composer-toggle').click();
  const composer = page.getByTestId('composer');
  await expect(composer.getByTestId('composer-unavailable')).toHaveCount(0);
  await composer.getByTestId('composer-template').selectOption('kernel_info_request');
  await expect(composer.getByTestId('composer-content')).toHaveValue('{}');
  // A JSON error is shown where it is, and Send waits for valid content.
  await composer.getByTestId('composer-content').fill('{\n  "a": 1\n  "b": 2\n}');
  await expect(composer.getByTestId('composer-error')).toContainText('line 3, column 3');
  await expect(composer.getByTestId('composer-send')).toBeDisabled();
  await composer.getByTestId('composer-content').fill('{}');
  await expect(composer.getByTestId('composer-error')).toHaveCount(0);
  // Ctrl+Enter sends.
  await composer.getByTestId('composer-content').press('Control+Enter');
  const thread = composer.getByTestId('composer-thread').first();
  await expect(thread.getByTestId('composer-own')).toContainText('kernel_info_request');
  const reply = thread.locator('[data-testid=composer-reply][data-msg-type=kernel_info_reply]');
  await expect(reply).toBeVisible({ timeout: 15_000 });
  await expect(reply).toContainText('protocol_version');
  await page.getByTestId('filter-msg-type').fill('');
  await reply.click();
  await expect(detail.getByTestId('kernel-msg-type')).toHaveText('kernel_info_reply');
  await expect(detail.getByTestId('signature-badge')).toHaveText('verified');
  await page.screenshot({ path: path.join(artifacts, 'kernel-composer.png') });
  // With the composer folded away the detail has the room: the tree above, the parts below.
  await page.getByTestId('composer-toggle').click();
  await expect(composer).toHaveCount(0);
  await page.screenshot({ path: path.join(artifacts, 'kernel-inspector.png') });
});

test('the composer says why it is off on a WebSocket kernel', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await page.getByTestId('composer-toggle').click();
  await expect(page.getByTestId('composer-unavailable')).toContainText('plain WebSocket kernel');
  await expect(page.getByTestId('composer-send')).toBeDisabled();
});
