// `c` and `x` put the copied cells on the system clipboard in the three forms Ctrl+C writes:
// plain text, the classic Notebook's HTML, and wirebook's JSON type (a web custom format).
import { test, expect } from './wirebook';

test('c puts plain text, HTML and the cells JSON on the system clipboard', async ({ page, context, wirebook }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: wirebook.origin });
  await page.goto(wirebook.url);
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await page.keyboard.type('print(42)');
  await page.keyboard.press('Escape');
  await page.keyboard.press('c');
  const clip = await page.evaluate(async () => {
    for (let i = 0; i < 50; i++) {
      const items = await navigator.clipboard.read();
      const item = items[0];
      if (item && item.types.includes('text/html')) {
        const read = async (type: string) =>
          item.types.includes(type) ? await (await item.getType(type)).text() : null;
        return {
          types: item.types,
          plain: await read('text/plain'),
          html: await read('text/html'),
          json: await read('web application/x-wirebook-cells+json'),
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  });
  expect(clip).not.toBeNull();
  expect(clip!.plain).toBe('print(42)');
  expect(clip!.html).toContain('jupyter-nb-cells-json');
  expect(clip!.types).toContain('web application/x-wirebook-cells+json');
  const cells = JSON.parse(clip!.json!).cells;
  expect(cells.map((c: { source: string | string[] }) => [c.source].flat().join(''))).toEqual(['print(42)']);
});
