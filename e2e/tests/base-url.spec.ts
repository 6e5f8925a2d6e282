// wirebook under a path prefix behind a real reverse proxy: nginx at /wirebook/ in front of
// `wirebook --base-url /wirebook/`, reached by a host name that is not loopback (as a
// JupyterHub or a team's proxy would be), so the server needs --allow-host for it.
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium';
import { Nginx } from './nginx';
import { test, expect, expectConnected, run, WirebookServer } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');
const HOST = 'wirebook.test';

// Chromium resolves the proxy's name to loopback itself: nothing leaves the machine.
test.use({
  launchOptions: {
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  },
});

test('behind nginx at /wirebook/: the page loads compressed, a cell runs, the inspector shows it', async ({ page, context }) => {
  const wirebook = new WirebookServer(['--base-url', '/wirebook/', '--allow-host', HOST]);
  await wirebook.start();
  let proxy: Nginx | null = null;
  try {
    expect(wirebook.base).toBe('/wirebook/');
    proxy = await Nginx.start('/wirebook/', wirebook.port);
    const origin = `http://${HOST}:${proxy.port}`;

    const wasm = page.waitForResponse((response) => response.url().endsWith('_bg.wasm'));
    // The inspector is a chunk of its own (scripts/split_wasm.py), fetched after the first paint
    // from beside the loader, so under the prefix as well.
    const chunk = page.waitForResponse((response) => /\/inspector-and-dialogs-[0-9a-f]+\.wasm$/.test(response.url()));
    await page.goto(`${origin}/wirebook/?token=${wirebook.token}`);
    for (const response of [await wasm, await chunk]) {
      expect(new URL(response.url()).pathname).toMatch(/^\/wirebook\/(wirebook-frontend-[0-9a-f]+_bg|inspector-and-dialogs-[0-9a-f]+)\.wasm$/);
      expect(response.status()).toBe(200);
      const headers = await response.allHeaders();
      // Chromium offers brotli only to secure origins (https, localhost): here gzip.
      const accepted = (await response.request().allHeaders())['accept-encoding'] ?? '';
      expect(headers['content-encoding']).toBe(accepted.includes('br') ? 'br' : 'gzip');
      expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    await expectConnected(page);

    await run(page, 0, 'hai');
    const cell = page.getByTestId('cell').first();
    await expect(cell.getByTestId('output-item')).toHaveText(['hai']);
    for (const hop of ['browser', 'kernel'] as const) {
      for (const direction of ['to_server', 'to_client'] as const) {
        const row = page
          .locator(`[data-testid=capture-row][data-hop=${hop}][data-direction=${direction}][data-event=frame]`)
          .filter({ hasText: 'hai' });
        await expect(row.first(), `${hop} ${direction}`).toBeVisible();
      }
    }
    await page.screenshot({ path: path.join(artifacts, 'base-url-nginx.png'), fullPage: true });

    // The cookie is scoped to the prefix, and lets the bare URL in on the next visit.
    const cookies = await context.cookies(`${origin}/wirebook/`);
    expect(await context.cookies(`${origin}/`)).toEqual([]);
    expect(cookies.find((c) => c.name === 'wirebook_token')?.path).toBe('/wirebook/');
    await page.goto(`${origin}/wirebook/`);
    await expectConnected(page);

    // Saving the scratch notebook names it in the address, under the prefix; that page route
    // opens it again.
    await run(page, 0, 'kept');
    await expect(page.getByTestId('cell').first().getByTestId('output-item')).toHaveText(['kept']);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    await expect(page).toHaveURL(`${origin}/wirebook/notebooks/Untitled.ipynb`);
    await page.reload();
    await expectConnected(page);
    await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
    await expect(page.getByTestId('cell').first().getByTestId('output-item')).toHaveText(['kept']);

    // The session socket, the assets and the API all went through the proxy, under the prefix.
    const log = proxy.accessLog();
    expect(log).toMatch(/"GET \/wirebook\/session\?[^"]* HTTP\/1\.1" 101 /);
    expect(log).toMatch(/"GET \/wirebook\/api\/[^"]* HTTP\/1\.1" 200 /);
    expect(log).not.toMatch(/"GET \/(session|api|echo)/);
  } finally {
    await proxy?.stop();
    await wirebook.stop();
  }
});
