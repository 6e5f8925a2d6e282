// The tap routes dialog: opened from the command palette and the status bar, a bad route
// refused under its fields, a route to a python `websockets` server added with the keyboard and
// listed with the URL clients connect to; a WebSocket from the page through that URL shows on
// the tap and upstream hops of the inspector; the route deleted, after which /tap/NAME is gone.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './wirebook';
import { artifacts, startUpstream, stopUpstream, frames } from './upstream';

/** Opens a WebSocket from the page, sends `message` once open; resolves to what came back. */
async function talkThrough(page: Page, url: string, message: string): Promise<string[]> {
  return page.evaluate(
    ({ url, message }) =>
      new Promise<string[]>((resolve, reject) => {
        const received: string[] = [];
        // The upstream insists on a subprotocol; the tap passes the offer and the choice through.
        const ws = new WebSocket(url, ['chat']);
        ws.onopen = () => {
          received.push(`protocol:${ws.protocol}`);
          ws.send(message);
        };
        ws.onmessage = (ev) => {
          received.push(String(ev.data));
          // The chosen subprotocol, the upstream's greeting, then the echo.
          if (received.length === 3) {
            ws.close(1000, 'done');
            resolve(received);
          }
        };
        ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
        setTimeout(() => reject(new Error(`no echo through ${url}: ${JSON.stringify(received)}`)), 8_000);
      }),
    { url, message },
  );
}

test('tap routes are added in the dialog, relay a page WebSocket on both hops and are deleted', async ({
  page,
  wirebook,
}) => {
  const upstream = await startUpstream();
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${wirebook.origin}/?token=${wirebook.token}`);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');

    // From the palette, by keyboard.
    await page.keyboard.press('Control+k');
    const palette = page.getByTestId('command-palette');
    await expect(palette.locator('input')).toBeFocused();
    await page.keyboard.type('tap routes');
    await expect(palette.locator('.palette-item').first()).toHaveAttribute('data-command', 'tap-routes');
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('routes-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('routes-empty')).toBeVisible();
    await expect(page.getByTestId('route-name')).toBeFocused();

    // Bad input is refused under its fields; nothing is sent.
    await page.keyboard.type('my route');
    await page.getByTestId('route-url').fill('http://127.0.0.1/');
    await page.getByTestId('route-url').press('Enter');
    await expect(dialog.getByTestId('route-name-error')).toContainText("found ' '");
    await expect(dialog.getByTestId('route-url-error')).toContainText('ws:// or wss://');
    await expect(dialog.getByTestId('route')).toHaveCount(0);

    // Escape closes it.
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    // From the status bar; a good route, added with the keyboard.
    await page.getByTestId('status-tap-routes').click();
    await expect(dialog).toBeVisible();
    await page.getByTestId('route-name').fill('feed');
    await page.getByTestId('route-url').fill(upstream.url);
    await expect(dialog.getByTestId('route-public-warning')).toContainText('anyone who can reach wirebook');
    await page.getByTestId('route-url').press('Enter');
    const route = dialog.locator('[data-testid=route][data-name=feed]');
    await expect(route).toBeVisible();
    await expect(dialog.getByTestId('route-name-error')).toBeEmpty();
    await expect(route).toHaveAttribute('data-public', 'false');
    await expect(route.getByTestId('route-upstream')).toHaveText(upstream.url);
    const clientUrl = `ws://127.0.0.1:${new URL(wirebook.origin).port}/tap/feed?token=${wirebook.token}`;
    await expect(route.getByTestId('route-client-url')).toHaveText(clientUrl);
    // A bad host is refused under the field by the browser's own URL parser (the WHATWG one
    // the server uses too), and nothing is added.
    await page.getByTestId('route-name').fill('broken');
    await page.getByTestId('route-url').fill('ws://[::1/');
    await page.getByTestId('route-url').press('Enter');
    await expect(dialog.getByTestId('route-url-error')).toContainText('not valid');
    await expect(dialog.locator('[data-testid=route][data-name=broken]')).toHaveCount(0);
    await page.screenshot({ path: path.join(artifacts, 'tap-routes.png') });
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    // A client through the listed URL: both hops in the inspector.
    const received = await talkThrough(page, clientUrl, 'hello through the tap');
    expect(received[0]).toBe('protocol:chat');
    expect(JSON.parse(received[1]).path).toBe('/feed');
    expect(received[2]).toBe('hello through the tap');
    await expect(frames(page, 'tap', 'to_server', 'hello through the tap')).toHaveCount(1);
    await expect(frames(page, 'upstream', 'to_server', 'hello through the tap')).toHaveCount(1);
    await expect(frames(page, 'upstream', 'to_client', 'hello through the tap')).toHaveCount(1);
    await expect(frames(page, 'tap', 'to_client', 'hello through the tap')).toHaveCount(1);

    // A route added elsewhere (here through the API, as another tab would) shows up in the
    // open dialog by itself.
    await page.getByTestId('status-tap-routes').click();
    await expect(route).toBeVisible();
    await expect(dialog.getByTestId('route')).toHaveCount(1);
    const added = await page.request.put(`${wirebook.origin}/api/routes/elsewhere?token=${wirebook.token}`, {
      data: { url: upstream.url, public: false },
    });
    expect(added.ok()).toBe(true);
    await expect(dialog.locator('[data-testid=route][data-name=elsewhere]')).toBeVisible();
    await dialog.locator('[data-testid=route][data-name=elsewhere]').getByTestId('route-delete').click();
    await expect(dialog.locator('[data-testid=route][data-name=elsewhere]')).toHaveCount(0);

    // Deleted: the list is empty again and the tap refuses the name.
    await route.getByTestId('route-delete').click();
    await expect(dialog.getByTestId('routes-empty')).toBeVisible();
    await expect(talkThrough(page, clientUrl, 'gone?')).rejects.toThrow('failed');
  } finally {
    stopUpstream(upstream.child);
  }
});
