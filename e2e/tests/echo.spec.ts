// The walking skeleton end to end: browser → wirebook → echo kernel and back, with the inspector
// showing both hops, plus the access rules and reconnection the contract promises.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, expectConnected, expectEditorText } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');

/** Capture rows for frames on one hop in one direction whose preview contains `text`. */
function messageRows(page: Page, hop: 'browser' | 'kernel', direction: 'to_server' | 'to_client', text: string) {
  return page
    .locator(
      `[data-testid=capture-row][data-hop=${hop}][data-direction=${direction}][data-event=frame]`,
    )
    .filter({ hasText: text });
}

test('echo demo: a cell runs on the echo kernel and the inspector shows both hops', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);

  const cell = page.getByTestId('cell').first();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await editor.pressSequentially('hai');
  await expectEditorText(editor, 'hai');
  await editor.press('Shift+Enter');

  await expect(cell.getByTestId('output-item')).toHaveText(['hai']);
  await expect(cell.getByTestId('execution-count')).toHaveText('[1]');

  await expect(page.locator('[data-testid=capture-row][data-hop=kernel][data-event=open]').first()).toBeVisible();
  for (const hop of ['browser', 'kernel'] as const) {
    for (const direction of ['to_server', 'to_client'] as const) {
      await expect(messageRows(page, hop, direction, 'hai').first(), `${hop} ${direction}`).toBeVisible();
    }
  }

  await page.screenshot({ path: path.join(artifacts, 'echo-demo.png'), fullPage: true });
});

test('the UI needs the token; /healthz does not', async ({ request, wirebook }) => {
  const health = await request.get(`${wirebook.origin}/healthz`);
  expect(health.status()).toBe(200);
  expect(await health.text()).toBe('ok');

  expect((await request.get(`${wirebook.origin}/`)).status()).toBe(403);
  expect((await request.get(`${wirebook.origin}/?token=wrong${wirebook.token}`)).status()).toBe(403);
  expect((await request.get(wirebook.url)).status()).toBe(200);
});

test('a second page load: the token cookie lets the bare URL in and the backlog replays', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  const editor = page.getByTestId('cell').first().getByTestId('cell-editor');
  await editor.click();
  await editor.pressSequentially('first-load');
  await editor.press('Shift+Enter');
  await expect(page.getByTestId('cell').first().getByTestId('output-item')).toHaveText(['first-load']);

  // No ?token= this time: the cookie set by the first visit authorises the page and its socket.
  await page.goto(`${wirebook.origin}/`);
  await expectConnected(page);
  // Same server instance, so the capture backlog brings back the first page's records.
  await expect(messageRows(page, 'kernel', 'to_client', 'first-load').first()).toBeVisible();
  await expect(messageRows(page, 'browser', 'to_server', 'first-load').first()).toBeVisible();
});

test('a server restart: the page reconnects and keeps cell edits', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  const cell = page.getByTestId('cell').first();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await editor.pressSequentially('before-restart');
  await editor.press('Shift+Enter');
  await expect(cell.getByTestId('output-item')).toHaveText(['before-restart']);

  await editor.click();
  await editor.fill('after-restart');

  expect(await wirebook.stop(), 'wirebook exits within 5 s of SIGTERM').toBe(true);
  await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'open');

  await wirebook.start();
  // The frontend's backoff is capped at 8 s plus jitter.
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await expectEditorText(editor, 'after-restart');
  // A new server instance: the inspector starts over instead of mixing two captures.
  await expect(page.locator('[data-testid=capture-row]').filter({ hasText: 'before-restart' })).toHaveCount(0);

  await editor.click();
  await editor.press('Shift+Enter');
  await expect(cell.getByTestId('output-item').last()).toHaveText('after-restart');
  await expect(messageRows(page, 'kernel', 'to_client', 'after-restart').first()).toBeVisible();
});
