// A real Jupyter kernel (the project venv's ipykernel): pick it
// in the kernel picker, run cells, see streams, results, errors with their coloured traceback,
// sanitized HTML, answer input(), and watch the kernel go busy and idle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, pickPython, PYTHON, run } from './wirebook';

test('the kernel picker lists kernels, checks URLs and works from the keyboard', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'connected');
  await page.keyboard.press('Escape');
  // From the command palette.
  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('command-palette').locator('input')).toBeFocused();
  await page.keyboard.type('change kernel');
  await page.keyboard.press('Enter');
  const picker = page.getByTestId('kernel-picker');
  await expect(picker).toBeVisible();
  const options = picker.getByTestId('kernel-option');
  await expect(options.filter({ hasText: 'echo' })).toHaveAttribute('data-current', 'true');
  await expect(options.filter({ hasText: PYTHON })).toHaveCount(1);
  // The last two entries take a Jupyter Server's URL and a WebSocket URL; a bad WebSocket URL
  // is refused inline and nothing is sent.
  await expect(options.last()).toContainText('Jupyter Server');
  const websocket = options.nth(-2);
  await expect(websocket).toContainText('WebSocket URL');
  // The list takes the focus once it is drawn; keys before that would go to the notebook.
  await expect(picker.getByRole('listbox')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect(websocket).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  const url = page.getByTestId('kernel-url');
  await expect(url).toBeFocused();
  await url.fill('http://127.0.0.1:1/x');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('kernel-url-error')).toContainText('ws:// or wss://');
  await expect(picker).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  await expect(page.getByTestId('kernel-status')).toContainText('echo');

  // Arrows and Enter choose the Python kernel.
  await page.keyboard.press('Control+Shift+K');
  await expect(picker).toBeVisible();
  await expect(options.first()).toHaveAttribute('aria-selected', 'true');
  const count = await options.count();
  for (let i = 0; i < count; i++) {
    if (/Python 3/.test((await options.nth(i).textContent()) ?? '')) break;
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
  await expect(picker).toBeHidden();
  await expect(page.getByTestId('kernel-status')).toContainText(PYTHON);
  await expect(page.getByTestId('kernel-language')).toHaveText('python');
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });
});

test('a Python kernel runs cells with rich outputs, errors and input()', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await pickPython(page);
  const cells = page.getByTestId('cell');

  await run(page, 0, "print('hi')");
  await expect(cells.nth(0).getByTestId('output-item')).toHaveText(['hi']);
  await expect(cells.nth(0).getByTestId('execution-count')).toHaveText('[1]');

  await run(page, 1, '1+1');
  await expect(cells.nth(1).getByTestId('output-item')).toContainText(['2']);
  await expect(cells.nth(1).getByTestId('execution-count')).toHaveText('[2]');
  await expect(cells.nth(1).locator('.out-prompt')).toHaveText('Out[2]:');

  // Busy while it runs, idle after.
  await run(page, 2, 'import time\ntime.sleep(3)\nprint("slept")');
  await expect(cells.nth(2).getByTestId('execution-count')).toHaveText('[*]');
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'busy');
  await expect(cells.nth(2).getByTestId('output-item')).toHaveText(['slept']);
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle');

  await run(page, 3, '1/0');
  const error = cells.nth(3).locator('[data-testid=output-item][data-kind=error]');
  await expect(error).toContainText('ZeroDivisionError');
  await expect(error).toContainText('division by zero');
  // The traceback keeps its colours.
  await expect(error.locator('[class*=ansi-fg]').first()).toBeVisible();

  // Sanitized HTML: the markup shows, the script does not run; a stream with \r rewrites.
  await run(
    page,
    4,
    [
      'from IPython.display import HTML, display',
      "display(HTML('<b onmouseover=\"window.pwned=1\">bold</b> <table><tr><td>cell</td></tr></table>'",
      "             '<a href=\"javascript:window.pwned=2\">link</a><script>window.pwned=3</script>'))",
      "print('10%', end='\\r'); print('100%')",
    ].join('\n'),
  );
  const html = cells.nth(4).locator('[data-testid=output-item][data-kind=html]');
  await expect(html.locator('b')).toHaveText('bold');
  await expect(html.locator('td')).toHaveText('cell');
  await html.locator('a').click();
  await expect(html.locator('a')).not.toHaveAttribute('href');
  await expect(html.locator('b')).not.toHaveAttribute('onmouseover');
  await expect(cells.nth(4).locator('[data-kind=stdout]')).toHaveText('100%\n');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

  // An image from bytes, markdown and JSON (as a tree).
  await run(
    page,
    5,
    [
      'import struct, zlib',
      'from IPython.display import Image, Markdown, JSON, display',
      'def chunk(kind, data):',
      "    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))",
      'w, h = 96, 32',
      "rows = b''.join(b'\\x00' + bytes(v for x in range(w) for v in (x * 2, y * 8, 200)) for y in range(h))",
      "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')",
      'display(Image(data=png))',
      "display(Markdown('**markdown** with `code`'))",
      "JSON({'kernel': 'python3', 'outputs': [1, 2, 3]})",
    ].join('\n'),
  );
  const rich = cells.nth(5);
  const image = rich.locator('[data-kind=image] img');
  await expect(image).toHaveAttribute('src', /^data:image\/png;base64,iVBOR/);
  await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(96);
  await expect(rich.locator('[data-kind=markdown] strong')).toHaveText('markdown');
  await expect(rich.locator('[data-kind=json]')).toContainText('outputs');

  // input(): a prompt under the cell takes the focus; Enter answers.
  await run(page, 6, "print('before')\nname = input('name? ')\nprint('hello', name)");
  const prompt = cells.nth(6).getByTestId('input-prompt');
  await expect(prompt).toContainText('name?');
  const field = prompt.getByTestId('input-field');
  await expect(field).toBeFocused();
  await field.fill('Ada');
  await page.keyboard.press('Enter');
  await expect(prompt).toHaveAttribute('data-state', 'answered');
  await expect(prompt.getByTestId('input-answer')).toHaveText('Ada');
  // The answered field goes away and the focus goes back to the notebook's active cell.
  await expect(page.getByTestId('mode')).toHaveText('Command');
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('cell');
  // (stdin is not ordered against iopub: `before` may arrive after the prompt, as in Jupyter.)
  await expect(cells.nth(6).getByTestId('cell-output')).toContainText('hello Ada');

  // A password is typed masked and shown as dots.
  await run(page, 7, "import getpass\nsecret = getpass.getpass('pw: ')\nprint(len(secret))");
  const pw = cells.nth(7).getByTestId('input-prompt');
  await expect(pw.getByTestId('input-field')).toHaveAttribute('type', 'password');
  await pw.getByTestId('input-field').fill('s3cret');
  await page.keyboard.press('Enter');
  await expect(pw.getByTestId('input-answer')).toHaveText('······');
  await expect(cells.nth(7).getByTestId('output-item')).toHaveText(['6']);

  // The picture for the docs: the notebook (files closed) beside the inspector.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Files' }).click();
  await cells.nth(5).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'artifacts', 'jupyter-notebook.png') });
});

test('interrupting a long cell ends it with KeyboardInterrupt', async ({ page, wirebook }) => {
  test.setTimeout(60_000);
  await page.goto(wirebook.url);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await run(page, 0, 'import time\ntime.sleep(30)');
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'busy');
  await page.getByRole('button', { name: /Interrupt the kernel/ }).click();
  await expect(cells.nth(0).locator('[data-kind=error]')).toContainText('KeyboardInterrupt');
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle');
  await expect(cells.nth(0).getByTestId('execution-count')).toHaveText('[1]');
});

test('a kernel that dies says so, and Restart brings it back', async ({ page, wirebook }) => {
  test.setTimeout(60_000);
  await page.goto(wirebook.url);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await run(page, 0, 'import os\nos._exit(1)');
  const problem = page.getByTestId('kernel-problem');
  await expect(problem).toContainText(/died|exit/, { timeout: 20_000 });
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'dead');
  // The run it was doing is over, and says why.
  await expect(cells.nth(0).getByTestId('cell-error')).toContainText('the kernel stopped');
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'artifacts', 'jupyter-kernel-died.png') });
  await problem.getByTestId('kernel-restart').click();
  await expect(problem).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });
  await run(page, 1, "print('back')");
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['back']);
});

test('a flood of output arrives to its last line, and what the cell no longer holds is counted', async ({ page, wirebook }) => {
  test.setTimeout(120_000);
  await page.goto(wirebook.url);
  await pickPython(page);
  const cell = page.getByTestId('cell').nth(0);
  await run(page, 0, 'for i in range(200_000): print(i)');
  await expect(cell.getByTestId('execution-count')).toHaveText('[1]', { timeout: 90_000 });
  // (iopub is not ordered against the reply: the last lines may come just after it.)
  const stdout = cell.locator('[data-kind=stdout]');
  await expect(stdout).toHaveText(/199998\n199999\n$/, { timeout: 30_000 });
  const text = await stdout.textContent();
  // 1,288,890 bytes were printed; the cell keeps the newest 512 KiB, whole lines, and says so.
  expect(text!.length).toBeLessThanOrEqual(512 * 1024);
  await expect(cell.getByTestId('stream-dropped')).toContainText('of earlier stream text not shown');
});

test('the chosen kernel is saved as the kernelspec, and the notebook reopens on it', async ({ page, wirebook }) => {
  test.setTimeout(60_000);
  await page.goto(`${wirebook.origin}/notebooks/py.ipynb?token=${wirebook.token}`);
  await pickPython(page);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const saved = JSON.parse(readFileSync(path.join(wirebook.notebookDir, 'py.ipynb'), 'utf8'));
  expect(saved.metadata.kernelspec).toMatchObject({ name: 'python3', language: 'python' });
  expect(saved.metadata.kernelspec.display_name).toMatch(PYTHON);

  // A fresh page on that notebook starts on the Python kernel by itself, as Jupyter does.
  const other = await page.context().newPage();
  await other.goto(`${wirebook.origin}/notebooks/py.ipynb?token=${wirebook.token}`);
  await expect(other.getByTestId('kernel-status')).toContainText(PYTHON, { timeout: 20_000 });
  await expect(other.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });
});

test('update_display_data and clear_output(wait=True) as in Jupyter', async ({ page, wirebook }) => {
  test.setTimeout(60_000);
  await page.goto(wirebook.url);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await run(page, 0, "h = display('first', display_id=True)");
  await expect(cells.nth(0).getByTestId('output-item')).toHaveText(["'first'"]);
  // Updated from another cell, in place.
  await run(page, 1, "h.update('second')\nprint('updated')");
  await expect(cells.nth(0).getByTestId('output-item')).toHaveText(["'second'"]);
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['updated']);
  await run(
    page,
    2,
    'from IPython.display import clear_output\nfor i in range(3):\n    clear_output(wait=True)\n    print(f"step {i}")',
  );
  await expect(cells.nth(2).getByTestId('output-item')).toHaveText(['step 2']);
});
