// The cell editor (CodeMirror 6) with a real ipykernel, from the keyboard: Python highlighting
// (a keyword, a string and a comment in different colours), Python's indentation, Tab
// completing `import o` to `os` from the kernel's popup, Shift+Tab showing `print`'s signature,
// Esc closing both while staying in edit mode, the requests in the inspector, and the arrows
// moving between cells at the first and last lines.
import path from 'node:path';
import { test, expect, editorText, expectEditorText, kernelMessageRows, pickPython } from './wirebook';

const repo = path.resolve(__dirname, '..', '..');
const artifacts = path.join(repo, 'artifacts');

test.setTimeout(60_000);

test('Python in the editor: colours, indentation, Tab completion, Shift+Tab inspection', async ({ page, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(wirebook.url);
  await pickPython(page);
  const cells = page.getByTestId('cell');
  await cells.first().getByTestId('cell-editor').click();
  // IPython stops giving the matches' types after 400 ms of working them out, which a loaded
  // machine can reach: no limit here, so that the types are always there to show.
  await page.keyboard.type('get_ipython().Completer.jedi_compute_type_timeout = 60_000');
  await page.keyboard.press('Alt+Enter');
  await expect(cells.first().getByTestId('execution-count')).toHaveText('[1]', { timeout: 20_000 });
  const cell = cells.nth(1);
  const editor = cell.getByTestId('cell-editor');
  await expect(editor).toBeFocused();
  await expect(page.getByTestId('mode')).toHaveText('Edit');

  // A keyword, a string and a comment: three different colours.
  await page.keyboard.type('def f(x):');
  await page.keyboard.press('Enter');
  // Python's indentation after a colon.
  await page.keyboard.type('return "text"  # why');
  await expectEditorText(editor, 'def f(x):\n    return "text"  # why');
  const colour = (selector: string) =>
    editor.locator(selector).first().evaluate((e) => getComputedStyle(e).color);
  const keyword = await colour('.tok-keyword');
  const string = await colour('.tok-string');
  const comment = await colour('.tok-comment');
  expect(new Set([keyword, string, comment]).size).toBe(3);
  await expect(editor.locator('.tok-keyword').first()).toHaveText('def');
  await expect(editor.locator('.tok-string')).toHaveText('"text"');
  await expect(editor.locator('.tok-comment')).toHaveText('# why');

  // Tab after code asks the kernel: a popup of modules, with their types.
  await page.keyboard.press('Enter');
  // Backspace takes back the indentation (Shift+Tab without a selection inspects).
  await page.keyboard.press('Backspace');
  await expectEditorText(editor, 'def f(x):\n    return "text"  # why\n');
  await page.keyboard.type('import o');
  await page.keyboard.press('Tab');
  const popup = page.getByTestId('completion');
  await expect(popup).toBeVisible();
  const items = popup.getByTestId('completion-item');
  const os = items.filter({ has: page.locator('.completion-text', { hasText: /^os$/ }) });
  await expect(os).toHaveCount(1);
  await expect(os.getByTestId('completion-type')).toHaveText('module');
  await expect(items.first()).toHaveAttribute('aria-selected', 'true');
  await page.screenshot({ path: path.join(artifacts, 'editor-completion.png') });
  // Esc closes the popup and stays in edit mode.
  await page.keyboard.press('Escape');
  await expect(popup).toBeHidden();
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await expect(editor).toBeFocused();
  // Again, and the arrows pick `os`; Enter accepts it.
  await page.keyboard.press('Tab');
  await expect(popup).toBeVisible();
  const texts = await items.locator('.completion-text').allTextContents();
  const at = texts.indexOf('os');
  expect(at).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < at; i++) await page.keyboard.press('ArrowDown');
  await expect(items.nth(at)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(popup).toBeHidden();
  await expectEditorText(editor, 'def f(x):\n    return "text"  # why\nimport os');
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  // The request and its reply went over the wire: the inspector shows them.
  await expect(kernelMessageRows(page, 'complete_request').first()).toBeVisible();
  await expect(kernelMessageRows(page, 'complete_reply').first()).toBeVisible();

  // Shift+Tab after `print(` shows its signature and docstring; Esc closes it.
  await page.keyboard.press('Enter');
  await page.keyboard.type('print(');
  await page.keyboard.press('Shift+Tab');
  const tooltip = page.getByTestId('inspection');
  await expect(tooltip).toContainText('Signature');
  await expect(tooltip).toContainText('print(');
  await expect(tooltip).toContainText('Docstring');
  // The kernel's ANSI colours are drawn, not shown as escapes.
  await expect(tooltip).not.toContainText('\u001b[');
  await page.screenshot({ path: path.join(artifacts, 'editor-inspection.png') });
  await page.keyboard.press('Escape');
  await expect(tooltip).toBeHidden();
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await expect(kernelMessageRows(page, 'inspect_request').first()).toBeVisible();
  await expect(kernelMessageRows(page, 'inspect_reply').first()).toBeVisible();
  // A second Esc is the notebook's: command mode.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');
  expect(await editorText(editor)).toBe('def f(x):\n    return "text"  # why\nimport os\nprint()');
});

test('ArrowUp on the first line and ArrowDown on the last move between cells', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  const first = cells.nth(0).getByTestId('cell-editor');
  await first.click();
  await page.keyboard.type('one\ntwo');
  // Alt+Enter: run, and edit a new cell below.
  await page.keyboard.press('Alt+Enter');
  await expect(cells).toHaveCount(2);
  const second = cells.nth(1).getByTestId('cell-editor');
  await expect(second).toBeFocused();
  await page.keyboard.type('three');
  await page.keyboard.press('ArrowUp');
  await expect(first).toBeFocused();
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  // The cursor came in on the last line, at its end.
  await page.keyboard.type('!');
  await expectEditorText(first, 'one\ntwo!');
  await page.keyboard.press('ArrowUp');
  await expect(first).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(second).toBeFocused();
  await page.keyboard.type('>');
  await expectEditorText(second, '>three');
});

test('Ctrl+F in command mode finds and replaces across the cells', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  await cells.nth(0).getByTestId('cell-editor').click();
  await page.keyboard.type('foo = 1\nFoo(foo)');
  await page.keyboard.press('Alt+Enter');
  await expect(cells).toHaveCount(2);
  await page.keyboard.type('print(foo)');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');

  await page.keyboard.press('Control+f');
  const query = page.getByTestId('find-query');
  await expect(query).toBeFocused();
  await page.keyboard.type('foo');
  const count = page.getByTestId('find-count');
  // Case is ignored unless asked: Foo counts.
  await expect(count).toHaveText('1 of 4');
  await page.getByTestId('find-case').check();
  await expect(count).toHaveText('1 of 3');
  await query.press('Enter');
  await expect(count).toHaveText('2 of 3');
  await query.press('Shift+Enter');
  await query.press('Shift+Enter');
  await expect(count).toHaveText('3 of 3');
  await page.getByTestId('find-replacement').fill('bar');
  await page.getByTestId('find-replace').click();
  await expectEditorText(cells.nth(1).getByTestId('cell-editor'), 'print(bar)');
  await expect(count).toHaveText('2 of 2');
  await page.getByTestId('find-replace-all').click();
  await expect(count).toHaveText('no matches');
  await expectEditorText(cells.nth(0).getByTestId('cell-editor'), 'bar = 1\nFoo(bar)');
  await page.screenshot({ path: path.join(artifacts, 'editor-find.png') });
  await query.press('Escape');
  await expect(page.getByTestId('find-bar')).toBeHidden();
  await expect(page.getByTestId('mode')).toHaveText('Command');
});

test('Ctrl+Shift+- splits the cell at the editor\'s cursor, and z takes it back', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const cells = page.getByTestId('cell');
  await cells.nth(0).getByTestId('cell-editor').click();
  await page.keyboard.type('a = 1\nb = 2');
  // To the start of the second line.
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Control+Shift+Minus');
  await expect(cells).toHaveCount(2);
  await expectEditorText(cells.nth(0).getByTestId('cell-editor'), 'a = 1');
  await expectEditorText(cells.nth(1).getByTestId('cell-editor'), 'b = 2');
  await expect(cells.nth(1).getByTestId('cell-editor')).toBeFocused();
  // The model's undo (command mode) puts the text back into the first cell's editor.
  await page.keyboard.press('Escape');
  await page.keyboard.press('z');
  await expect(cells).toHaveCount(1);
  await expectEditorText(cells.nth(0).getByTestId('cell-editor'), 'a = 1\nb = 2');
});

test('Ctrl+F in edit mode is the editor\'s own search; Esc closes it, then leaves edit mode', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  const editor = page.getByTestId('cell').first().getByTestId('cell-editor');
  await editor.click();
  await page.keyboard.type('one two one');
  await page.keyboard.press('Control+f');
  const panel = page.locator('.cm-search');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('find-bar')).toBeHidden();
  await page.keyboard.type('one');
  await page.keyboard.press('Enter');
  // Back in the text with the panel open: Esc closes the panel first.
  await editor.focus();
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('mode')).toHaveText('Command');
});
