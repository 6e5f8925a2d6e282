// The wasm chunks the page fetches after its first paint (scripts/split_wasm.py): one that does
// not come (a server gone, or serving another build) leaves the rest of the page working and
// says so, and "Try again" fetches it.
import { test, expect, expectConnected, run } from './wirebook';

test('an inspector chunk that does not come says so, and Try again brings it', async ({ page, wirebook }) => {
  let refuse = true;
  await page.route(/\/inspector-view-[0-9a-f]+\.wasm$/, (route) => (refuse ? route.abort() : route.continue()));
  await page.goto(wirebook.url);
  await expectConnected(page);

  const missing = page.getByTestId('chunk-missing');
  await expect(missing).toHaveText(/The inspector could not be loaded from the server\./);
  await expect(page.getByTestId('capture-row')).toHaveCount(0);
  // The notebook does not depend on it.
  await run(page, 0, 'hai');
  await expect(page.getByTestId('cell').first().getByTestId('output-item')).toHaveText(['hai']);

  refuse = false;
  await missing.getByTestId('chunk-retry').click();
  await expect(missing).toHaveCount(0);
  await expect(page.locator('[data-testid=capture-row][data-event=frame]').filter({ hasText: 'hai' }).first()).toBeVisible();
});

test('markdown whose renderers do not come says so, and Try again renders it', async ({ page, wirebook }) => {
  let refuse = true;
  await page.route(/\/rich-text-[0-9a-f]+\.wasm$/, (route) => (refuse ? route.abort() : route.continue()));
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
