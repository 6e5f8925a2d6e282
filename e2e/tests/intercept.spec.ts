// Intercept on the tap: a breakpoint set in the dialog holds a page WebSocket's message to a
// python `websockets` server; it is edited and sent, another is dropped, a message is injected
// as the server; the inspector shows what the tap did, beside the messages as they arrived.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './wirebook';
import { artifacts, startUpstream, stopUpstream, frames } from './upstream';

declare global {
  interface Window {
    tapSocket: WebSocket;
    tapReceived: string[];
  }
}

/** Opens a WebSocket from the page that stays open, its messages in `window.tapReceived`. */
async function openThrough(page: Page, url: string) {
  await page.evaluate(
    (url) =>
      new Promise<void>((resolve, reject) => {
        window.tapReceived = [];
        const ws = new WebSocket(url, ['chat']);
        window.tapSocket = ws;
        ws.onmessage = (ev) => window.tapReceived.push(String(ev.data));
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
      }),
    url,
  );
}

const send = (page: Page, text: string) => page.evaluate((text) => window.tapSocket.send(text), text);
const received = (page: Page) => page.evaluate(() => window.tapReceived);

test('a breakpoint holds a message to edit or drop, and a message is injected as the server', async ({
  page,
  wirebook,
}) => {
  const upstream = await startUpstream();
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${wirebook.origin}/?token=${wirebook.token}`);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
    const added = await page.request.put(`${wirebook.origin}/api/routes/shop?token=${wirebook.token}`, {
      data: { url: upstream.url, public: false },
    });
    expect(added.ok()).toBe(true);

    // A breakpoint on the route's client → upstream messages that mention "buy".
    await page.getByTestId('status-intercept').click();
    const dialog = page.getByTestId('intercept-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('breakpoints-empty')).toBeVisible();
    await expect(page.getByTestId('intercept-add')).toBeFocused();
    await page.keyboard.press('Enter');
    await dialog.getByTestId('breakpoint-filter').fill('text contains "buy');
    await dialog.getByTestId('intercept-apply').click();
    await expect(dialog.getByTestId('intercept-error')).toContainText('does not parse');
    await dialog.getByTestId('breakpoint-filter').fill('text contains "buy"');
    await dialog.getByTestId('intercept-apply').click();
    await expect(dialog.getByTestId('intercept-status')).toHaveText('1 breakpoint armed.');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    await openThrough(page, `ws://127.0.0.1:${new URL(wirebook.origin).port}/tap/shop?token=${wirebook.token}`);
    await send(page, 'hello');
    await expect.poll(() => received(page)).toContain('hello');

    // Held, edited, sent: upstream echoes the edit.
    await send(page, 'buy 1');
    await page.getByTestId('status-intercept').click();
    const held = dialog.getByTestId('held');
    await expect(held).toHaveCount(1);
    await expect(held.getByTestId('held-editor')).toHaveValue('buy 1');
    await expect(held.getByTestId('held-countdown')).toContainText('releases in');
    await held.getByTestId('held-editor').fill('buy 2');
    await page.screenshot({ path: path.join(artifacts, 'intercept-held.png') });
    await held.getByTestId('held-send-edited').click();
    await expect(held).toHaveCount(0);
    await expect.poll(() => received(page)).toContain('buy 2');

    // Dropped: never echoed, and the next message goes on.
    await send(page, 'buy 3');
    await expect(held).toHaveCount(1);
    await held.getByTestId('held-drop').click();
    await expect(held).toHaveCount(0);
    await send(page, 'after the drop');
    await expect.poll(() => received(page)).toContain('after the drop');
    expect(await received(page)).not.toContain('buy 3');

    // Injected as the server, from the form.
    await dialog.getByTestId('inject-conn').selectOption({ index: 1 });
    await dialog.getByTestId('inject-text').fill('from wirebook');
    await dialog.getByTestId('inject-send').click();
    await expect(dialog.getByTestId('intercept-status')).toContainText('Injected into connection');
    await expect.poll(() => received(page)).toContain('from wirebook');
    await page.keyboard.press('Escape');

    // The inspector: the originals as they arrived, what the tap did, what it sent instead.
    await expect(frames(page, 'tap', 'to_server', 'buy 1')).toHaveCount(1);
    await expect(frames(page, 'upstream', 'to_server', 'buy 2')).toHaveCount(1);
    await expect(frames(page, 'tap', 'to_server', 'buy 3')).toHaveCount(1);
    await expect(frames(page, 'upstream', 'to_server', 'buy 3')).toHaveCount(0);
    const events = page.locator('[data-testid=capture-row][data-event=intercept]');
    await expect(events.filter({ hasText: 'edited' })).toHaveCount(1);
    await expect(events.filter({ hasText: 'dropped' })).toHaveCount(1);
    await events.filter({ hasText: 'dropped' }).click();
    await expect(page.getByTestId('intercept-action')).toHaveText('dropped');
    await page.screenshot({ path: path.join(artifacts, 'intercept-inspector.png') });
  } finally {
    stopUpstream(upstream.child);
  }
});
