// Remote images in a notebook are held back, as a mail client holds back a mail's: a saved
// HTML output and a markdown cell that name an image on another host load nothing until the
// user clicks Load on that output (a tracking pixel would otherwise learn that the notebook was
// opened). The "other host" is a tiny server on 127.0.0.2, another loopback address.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, expect, expectEditorText } from './wirebook';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts');

// The page's Content-Security-Policy lets remote images through (so that Load works): the UI's
// sanitizers are the guard, and this runs under the real policy.
/** An image server on 127.0.0.2 that records every path asked of it. */
async function startImageHost(): Promise<{ origin: string; host: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-store' });
    res.end(
      '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40">' +
        '<rect width="180" height="40" fill="#1a73e8"/>' +
        '<text x="90" y="26" fill="#fff" font-family="sans-serif" font-size="16" text-anchor="middle">remote image</text>' +
        '</svg>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.2:${port}`;
  return {
    origin: `http://${host}`,
    host,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A notebook with a code cell whose saved HTML output has a remote image, and a markdown cell
 * with one. */
function notebook(origin: string): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: 'code',
        cell_type: 'code',
        source: 'report()',
        metadata: {},
        execution_count: 1,
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: {
              'text/html': `<p>Sales report</p><img src="${origin}/pixel.png?from=html" alt="tracking pixel">`,
              'text/plain': '<Report>',
            },
          },
        ],
      },
      {
        id: 'notes',
        cell_type: 'markdown',
        source: `## Notes\n\n![company logo](${origin}/logo.svg?from=markdown)`,
        metadata: {},
      },
    ],
  });
}

test('remote images load only after Load, per output', async ({ page, wirebook }) => {
  const images = await startImageHost();
  try {
    const seen: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(images.origin)) seen.push(request.url());
    });
    writeFileSync(path.join(wirebook.notebookDir, 'remote.ipynb'), notebook(images.origin));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${wirebook.origin}/notebooks/remote.ipynb?token=${wirebook.token}`);

    const cells = page.getByTestId('cell');
    const html = cells.nth(0).locator('[data-testid=output-item][data-kind=html]');
    await expect(html).toContainText('Sales report');
    const line = html.getByTestId('remote-blocked');
    await expect(line).toBeVisible();
    await expect(line.getByTestId('remote-blocked-text')).toHaveText(`1 remote image blocked (${images.host})`);
    await expect(line).toHaveAttribute('title', new RegExp(images.host.replace(/\./g, '\\.')));
    // The image is a placeholder with its alt text; nothing in the page points at the host.
    await expect(html.locator('.remote-image-blocked')).toHaveText('tracking pixel');
    await expect(html.locator('img')).toHaveCount(0);
    const markdown = cells.nth(1);
    await expect(markdown.getByTestId('markdown-rendered').locator('h2')).toHaveText('Notes');
    await expect(markdown.getByTestId('remote-blocked-text')).toHaveText(`1 remote image blocked (${images.host})`);
    await expect(markdown.locator('.remote-image-blocked')).toHaveText('company logo');
    await expect(page.locator(`img[src^="http"], img[src^="//"]`)).toHaveCount(0);
    await page.waitForLoadState('networkidle');
    expect(seen).toEqual([]);
    expect(images.requests).toEqual([]);

    // The notebook alone, for the picture.
    const files = page.getByRole('button', { name: 'Files' });
    if ((await files.getAttribute('aria-pressed')) === 'true') await files.click();
    await page.screenshot({ path: path.join(ARTIFACTS, 'remote-content-blocked.png') });

    // Load, from the keyboard: this output draws its image; the markdown cell still asks.
    const load = line.getByTestId('remote-load');
    await expect(load).toHaveRole('button');
    await load.focus();
    await page.keyboard.press('Enter');
    const img = html.locator('img');
    await expect(img).toHaveAttribute('src', `${images.origin}/pixel.png?from=html`);
    await expect(img).toHaveAttribute('alt', 'tracking pixel');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(180);
    await expect(html.getByTestId('remote-blocked')).toHaveCount(0);
    // The keyboard stays on the cell, not on the page.
    await expect(page.locator('[data-testid=cell]:focus')).toHaveCount(1);
    await expect(page.locator('body')).not.toBeFocused();
    expect(images.requests).toEqual(['/pixel.png?from=html']);
    await expect(markdown.getByTestId('remote-blocked')).toBeVisible();
    await expect(markdown.locator('img')).toHaveCount(0);

    // The markdown cell's own Load.
    await markdown.getByTestId('remote-load').click();
    const logo = markdown.getByTestId('markdown-rendered').locator('img');
    await expect(logo).toHaveAttribute('src', `${images.origin}/logo.svg?from=markdown`);
    await expect.poll(() => logo.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(180);
    await expect(markdown.getByTestId('remote-blocked')).toHaveCount(0);
    expect(images.requests.sort()).toEqual(['/logo.svg?from=markdown', '/pixel.png?from=html']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'remote-content-loaded.png') });

    // Editing the cell draws its outputs again; the choice stays.
    const editor = cells.nth(0).getByTestId('cell-editor');
    await editor.click();
    await page.keyboard.press('End');
    await page.keyboard.type(' # edited');
    await page.keyboard.press('Escape');
    await expectEditorText(editor, 'report() # edited');
    await expect(html.locator('img')).toHaveAttribute('src', `${images.origin}/pixel.png?from=html`);
    await expect(html.getByTestId('remote-blocked')).toHaveCount(0);
  } finally {
    await images.close();
  }
});
