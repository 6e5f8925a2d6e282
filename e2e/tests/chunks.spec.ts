// The wasm chunks the page fetches after its first paint (scripts/split_wasm.py): one that does
// not come (a server gone, or serving another build) leaves the rest of the page working and
// says so, and "Try again" fetches it.
import { test, expect, expectConnected, run } from './wirebook';

const INSPECTOR_CHUNK = /\/inspector-and-dialogs-[0-9a-f]+\.wasm$/;
const RICH_TEXT_CHUNK = /\/rich-text-[0-9a-f]+\.wasm$/;

test('an inspector chunk that does not come says so once, and Try again brings it and the dialogs', async ({ page, wirebook }) => {
  let refuse = true;
  await page.route(INSPECTOR_CHUNK, (route) => (refuse ? route.abort() : route.continue()));
  await page.goto(wirebook.url);
  await expectConnected(page);

  // One line for the chunk, though both the inspector and the dialogs are in it.
  const missing = page.getByTestId('chunk-missing');
  await expect(missing).toHaveText(/The inspector could not be loaded from the server\./);
  await expect(missing).toHaveCount(1);
  await expect(page.getByTestId('capture-row')).toHaveCount(0);
  // The notebook does not depend on it.
  await run(page, 0, 'hai');
  await expect(page.getByTestId('cell').first().getByTestId('output-item')).toHaveText(['hai']);

  refuse = false;
  await missing.getByTestId('chunk-retry').click();
  await expect(missing).toHaveCount(0);
  await expect(page.locator('[data-testid=capture-row][data-event=frame]').filter({ hasText: 'hai' }).first()).toBeVisible();
  // The dialogs come in the same chunk, and with it.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('command-palette')).toBeVisible();
});

test('markdown whose renderers do not come says so, and Try again renders it', async ({ page, wirebook }) => {
  let refuse = true;
  await page.route(RICH_TEXT_CHUNK, (route) => (refuse ? route.abort() : route.continue()));
  await page.goto(wirebook.url);
  await expectConnected(page);

  const cell = page.getByTestId('cell').first();
  await cell.getByTestId('cell-editor').click();
  await page.getByTestId('cell-editor').first().fill('# Notes');
  await page.keyboard.press('Escape');
  await page.keyboard.press('m');
  await expect(cell.getByTestId('chunk-missing')).toHaveText(/Markdown, maths and HTML could not be loaded/);
  await expect(cell.getByTestId('markdown-rendered').locator('h1')).toHaveCount(0);

  refuse = false;
  await cell.getByTestId('chunk-retry').click();
  await expect(cell.getByTestId('markdown-rendered').locator('h1')).toHaveText('Notes');
  await expect(cell.getByTestId('chunk-missing')).toHaveCount(0);
});

test('an empty notebook asks for the markdown renderers only once the inspector is drawn', async ({ page, wirebook }) => {
  // Each fetch of a chunk, with whether the inspector was in the page when it was made.
  await page.addInitScript(() => {
    const asked: { url: string; inspector: boolean }[] = [];
    (window as unknown as { chunksAsked: typeof asked }).chunksAsked = asked;
    const fetch = window.fetch.bind(window);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('.wasm')) asked.push({ url, inspector: !!document.querySelector('[data-testid=capture-list]') });
      return fetch(input, init);
    };
  });
  await page.goto(wirebook.url);
  await expectConnected(page);
  const asked = () => page.evaluate(() => (window as unknown as { chunksAsked: { url: string; inspector: boolean }[] }).chunksAsked);
  await expect.poll(async () => (await asked()).some((a) => RICH_TEXT_CHUNK.test(a.url))).toBe(true);
  const all = await asked();
  const richText = all.find((a) => RICH_TEXT_CHUNK.test(a.url))!;
  const inspector = all.find((a) => INSPECTOR_CHUNK.test(a.url))!;
  // The inspector's chunk is asked for before it is in the page; the renderers' only after
  // it has been drawn: both are compiled on the page's one thread, and the inspector first.
  expect(inspector.inspector).toBe(false);
  expect(richText.inspector).toBe(true);
  // Markdown still renders.
  const cell = page.getByTestId('cell').first();
  await page.getByTestId('cell-editor').first().fill('# Notes');
  await page.keyboard.press('Escape');
  await page.keyboard.press('m');
  await expect(cell.getByTestId('markdown-rendered').locator('h1')).toHaveText('Notes');
});
