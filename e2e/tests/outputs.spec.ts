// Outputs and markdown as Jupyter shows them, driven from the keyboard: a cell's execution
// time (Jupyter and WebSocket kernels), maths and sanitized HTML in markdown, markdown outputs,
// long outputs scrolled and hidden (O, Shift+O), the in-page restart dialog, and the keys
// labelled for this keyboard.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');
const PYTHON = /Python 3/;

/** Picks the project venv's Python kernel from the keyboard (command mode, Ctrl+Shift+K). */
async function pickPythonByKeyboard(page: Page) {
  // A new notebook starts in its first cell's editor; the picker's keys are command mode's.
  await expect(page.getByTestId('mode')).toHaveText(/Edit|Command/);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');
  await page.keyboard.press('Control+Shift+K');
  const picker = page.getByTestId('kernel-picker');
  await expect(picker.getByRole('listbox')).toBeFocused();
  const options = picker.getByTestId('kernel-option');
  const count = await options.count();
  for (let i = 0; i < count; i++) {
    if (PYTHON.test((await options.nth(i).textContent()) ?? '')) break;
    await page.keyboard.press('ArrowDown');
  }
  await expect(options.filter({ hasText: PYTHON })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(picker).toBeHidden();
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });
  await expect(page.getByTestId('mode')).toHaveText('Command');
}

/** Types `code` into the active cell (entering edit mode first) and runs it with Shift+Enter. */
async function typeAndRun(page: Page, code: string) {
  if ((await page.getByTestId('mode').textContent()) !== 'Edit') await page.keyboard.press('Enter');
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await page.keyboard.type(code);
  await page.keyboard.press('Shift+Enter');
}

test('a Jupyter cell shows and saves its execution time', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${wirebook.origin}/notebooks/timing.ipynb?token=${wirebook.token}`);
  await pickPythonByKeyboard(page);
  await typeAndRun(page, 'import time; time.sleep(0.3); print("slept")');
  const cell = page.getByTestId('cell').nth(0);
  await expect(cell.getByTestId('output-item')).toHaveText(['slept']);
  const timing = cell.getByTestId('cell-timing');
  await expect(timing).toHaveText(/^Last executed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d in ([3-9]\d\dms|\d+\.\d\ds)$/, {
    timeout: 10_000,
  });

  // Saved as JupyterLab records it.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const saved = JSON.parse(readFileSync(path.join(wirebook.notebookDir, 'timing.ipynb'), 'utf8'));
  const execution = saved.cells[0].metadata.execution;
  expect(Object.keys(execution).sort()).toEqual([
    'iopub.execute_input',
    'iopub.status.busy',
    'iopub.status.idle',
    'shell.execute_reply',
    'shell.execute_reply.started',
  ]);
  const ms = Date.parse(execution['shell.execute_reply']) - Date.parse(execution['shell.execute_reply.started']);
  expect(ms).toBeGreaterThanOrEqual(300);

  // Markdown outputs render as markdown, maths included, in prose type.
  await typeAndRun(page, 'from IPython.display import Markdown; Markdown(\'**bold** and $x^2$ <b onclick="x()">b</b>\')');
  const md = page.getByTestId('cell').nth(1).locator('[data-kind=markdown]');
  await expect(md.locator('strong')).toHaveText('bold');
  await expect(md.locator('math msup')).toHaveCount(1);
  await expect(md.locator('b')).not.toHaveAttribute('onclick');
  const font = await md.evaluate((el) => getComputedStyle(el).fontFamily);
  expect(font).not.toMatch(/mono/i);
  await page.screenshot({ path: path.join(artifacts, 'outputs-timing-and-markdown.png') });
});

test('a WebSocket kernel cell is timed from sending to the last reply', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await typeAndRun(page, 'hai');
  const cell = page.getByTestId('cell').nth(0);
  await expect(cell.getByTestId('output-item')).toHaveText(['hai']);
  await expect(cell.getByTestId('cell-timing')).toHaveText(
    /^Last sent at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; last reply after \d+(ms|\.\d\ds) \(browser clock\)$/,
  );
});

test('maths and sanitized HTML render in markdown cells', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await page.keyboard.press('Escape');
  await page.keyboard.press('M');
  await page.keyboard.press('Enter');
  await page.keyboard.type(
    'Einstein: $E = mc^2$\n\n$$\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$$\n\n' +
      '<details open><summary>raw <i>HTML</i></summary>kept</details>' +
      '<img src=x onerror="document.title=1"><script>document.title=2</script>',
  );
  await page.keyboard.press('Shift+Enter');
  const rendered = page.getByTestId('cell').nth(0).getByTestId('markdown-rendered');
  await expect(rendered).toBeVisible();
  const inline = rendered.locator('math[display=inline]');
  await expect(inline).toHaveCount(1);
  await expect(inline.locator('msup mn')).toHaveText('2');
  await expect(rendered.locator('math[display=block] munderover, math[display=block] msubsup')).toHaveCount(1);
  await expect(rendered.locator('details summary i')).toHaveText('HTML');
  await expect(rendered.locator('script')).toHaveCount(0);
  await expect(rendered.locator('img')).not.toHaveAttribute('onerror');
  expect(await page.title()).not.toMatch(/^[12]$/);
  // Laid out as maths: the superscript sits above the baseline of the c.
  const base = await inline.locator('msup > mi').boundingBox();
  const sup = await inline.locator('msup > mn').boundingBox();
  expect(sup!.y).toBeLessThan(base!.y);
  await rendered.screenshot({ path: path.join(artifacts, 'markdown-math.png') });
});

test('long outputs scroll; O hides them and Shift+O toggles the scrolling', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await pickPythonByKeyboard(page);
  await typeAndRun(page, 'for i in range(3000): print("line", i)');
  const cell = page.getByTestId('cell').nth(0);
  const area = cell.getByTestId('cell-output');
  await expect(area.locator('[data-kind=stdout]')).toHaveText(/line 2999\n$/, { timeout: 30_000 });
  await expect(area).toHaveAttribute('data-layout', 'scrolled');
  const box = await area.boundingBox();
  expect(box!.height).toBeLessThan(400);
  await page.screenshot({ path: path.join(artifacts, 'outputs-3000-lines.png') });

  // Back to the cell (Shift+Enter moved on), in command mode.
  await page.keyboard.press('Escape');
  await page.keyboard.press('K');
  await expect(cell).toHaveAttribute('data-selected', 'true');
  await page.keyboard.press('O');
  await expect(area).toHaveAttribute('data-layout', 'hidden');
  await expect(cell.getByTestId('outputs-hidden')).toHaveText(/1 output hidden/);
  await page.screenshot({ path: path.join(artifacts, 'outputs-hidden.png') });
  await page.keyboard.press('O');
  await expect(area).toHaveAttribute('data-layout', 'scrolled');
  await page.keyboard.press('Shift+O');
  await expect(area).toHaveAttribute('data-layout', 'whole');
  expect((await area.boundingBox())!.height).toBeGreaterThan(10_000);
  await page.keyboard.press('Shift+O');
  await expect(area).toHaveAttribute('data-layout', 'scrolled');

  // Both are in the palette.
  await page.keyboard.press('Control+k');
  // Its input takes the focus once it is drawn; keys typed before would go to the notebook.
  await expect(page.getByTestId('command-palette').locator('input')).toBeFocused();
  await page.keyboard.type('outputs');
  await expect(page.getByTestId('command-palette')).toContainText('Hide or show outputs');
  await expect(page.getByTestId('command-palette')).toContainText('Scroll outputs');
  await page.keyboard.press('Escape');

  // A traceback's long line wraps: its end (the error) is in view, nothing to scroll sideways.
  await page.keyboard.press('J');
  await typeAndRun(page, 'raise ValueError("wide " * 80)');
  const error = page.getByTestId('cell').nth(1).locator('[data-kind=error]');
  await expect(error).toContainText('ValueError');
  const overflow = await error.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await page.screenshot({ path: path.join(artifacts, 'outputs-traceback-wrapped.png') });
});

test('restart asks in the page, focus on Cancel, and the keyboard comes back', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  // Keys are labelled for this keyboard (Linux: Ctrl, not ⌘).
  await expect(page.getByTestId('palette-button')).toHaveText('CommandsCtrl+K');

  let nativeDialogs = 0;
  page.on('dialog', (dialog) => {
    nativeDialogs++;
    void dialog.dismiss();
  });
  await page.keyboard.press('Escape');
  await page.keyboard.press('0');
  await page.keyboard.press('0');
  const dialog = page.getByTestId('restart-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('restart-cancel')).toBeFocused();
  await page.screenshot({ path: path.join(artifacts, 'restart-dialog.png') });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('cell').nth(0)).toBeFocused();

  // Enter on the focused Cancel restarts nothing either.
  await page.keyboard.press('0');
  await page.keyboard.press('0');
  await expect(dialog.getByTestId('restart-cancel')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();

  // Tab to Restart, Enter: the kernel restarts.
  await page.keyboard.press('0');
  await page.keyboard.press('0');
  await expect(dialog.getByTestId('restart-cancel')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByTestId('restart-confirm')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('cell').nth(0)).toBeFocused();
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  expect(nativeDialogs).toBe(0);
});
