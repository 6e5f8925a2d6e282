// A notebook that feels like Jupyter: keyboard-only editing with undo, markdown rendering,
// saving to a .ipynb and finding it all again after a reload; the file browser; the help
// overlay and the command palette. (A file changed on disk: files.spec.ts.)
import type { Page } from '@playwright/test';
import { test, expect, expectConnected, expectEditorText, editorTexts } from './wirebook';

/** Waits until the editors' texts, top to bottom, are `expected`. */
async function expectSources(page: Page, expected: string[]) {
  await expect
    .poll(() => editorTexts(page.getByTestId('cell-editor')))
    .toEqual(expected);
}

test('keyboard only: cells, run, delete and undo, markdown, save, reload', async ({ page, wirebook }) => {
  await page.goto(`${wirebook.origin}/notebooks/keys.ipynb?token=${wirebook.token}`);
  await expectConnected(page);
  // The file does not exist yet: an empty notebook that the first save creates.
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'new');
  const cells = page.getByTestId('cell');
  await expect(cells).toHaveCount(1);
  await expect(page.getByTestId('mode')).toHaveText('Command');

  const kb = page.keyboard;
  await kb.press('Enter');
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await kb.type('# Notes');
  await kb.press('Escape');
  for (const text of ['two', 'three']) {
    await kb.press('b');
    await expect(page.getByTestId('mode')).toHaveText('Command');
    await kb.press('Enter');
    await kb.type(text);
    await kb.press('Escape');
  }
  await expectSources(page, ['# Notes', 'two', 'three']);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'unsaved');
  await expect(page).toHaveTitle(/^● keys\.ipynb/);

  // Back to the top and Shift+Enter through every cell: the last one adds a cell.
  await kb.press('k');
  await kb.press('k');
  await expect(cells.nth(0)).toHaveAttribute('data-selected', 'true');
  // A WebSocket kernel's reply belongs to the cell that ran last (the next run takes the
  // replies after it), so each run waits for its echo before the next.
  const sources = ['# Notes', 'two', 'three'];
  for (let i = 0; i < 3; i++) {
    await kb.press('Shift+Enter');
    await expect(cells.nth(i).getByTestId('output-item')).toHaveText([sources[i]]);
  }
  await expect(cells).toHaveCount(4);
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['two']);
  await expect(cells.nth(2).getByTestId('output-item')).toHaveText(['three']);
  await expect(cells.nth(3)).toHaveAttribute('data-selected', 'true');
  // As in Jupyter, the cell Shift+Enter adds at the end is ready for typing.
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await kb.press('Escape');

  // d d deletes the empty cell, then "two"; z brings "two" back with its output.
  await kb.press('d');
  await kb.press('d');
  await expect(cells).toHaveCount(3);
  await kb.press('k');
  await expect(cells.nth(1)).toHaveAttribute('data-selected', 'true');
  await kb.press('d');
  await kb.press('d');
  await expectSources(page, ['# Notes', 'three']);
  await kb.press('z');
  await expectSources(page, ['# Notes', 'two', 'three']);
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['two']);

  // m makes the first cell markdown, shown rendered in command mode.
  await kb.press('k');
  await expect(cells.nth(0)).toHaveAttribute('data-selected', 'true');
  await kb.press('m');
  const rendered = cells.nth(0).getByTestId('markdown-rendered');
  await expect(rendered.locator('h1')).toHaveText('Notes');
  await expect(cells.nth(0).getByTestId('cell-editor')).toBeHidden();

  // Ctrl+S saves (and the browser's own save dialog never opens).
  await kb.press('Control+s');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await expect(page).toHaveTitle(/^keys\.ipynb/);
  const onDisk = await page.request.get(`${wirebook.origin}/api/notebooks/keys.ipynb?token=${wirebook.token}`);
  expect(onDisk.status()).toBe(200);
  const file = await onDisk.json();
  expect(file.content.cells.map((c: { cell_type: string }) => c.cell_type)).toEqual(['markdown', 'code', 'code']);

  // A reload finds it all again, outputs included.
  await page.goto(`${wirebook.origin}/notebooks/keys.ipynb`);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  await expect(cells).toHaveCount(3);
  await expect(cells.nth(0).getByTestId('markdown-rendered').locator('h1')).toHaveText('Notes');
  await expectSources(page, ['# Notes', 'two', 'three']);
  await expect(cells.nth(1).getByTestId('output-item')).toHaveText(['two']);
  await expect(cells.nth(2).getByTestId('output-item')).toHaveText(['three']);

  // Enter edits the markdown source; running it renders it again.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await expect(cells.nth(0).getByTestId('cell-editor')).toBeFocused();
  await page.keyboard.press('Control+Enter');
  await expect(cells.nth(0).getByTestId('markdown-rendered').locator('h1')).toHaveText('Notes');

  // h shows every command with its keys; Esc closes it.
  await page.keyboard.press('h');
  const help = page.getByTestId('help-overlay');
  await expect(help).toBeVisible();
  // Command mode lists D D for delete; both modes list Ctrl+S for save.
  await expect(help.locator('tr[data-command=delete-cells] kbd')).toHaveText(['D', 'D']);
  await expect(help.locator('tr[data-command=save]')).toHaveText([/S.*Ctrl\+S/, /Ctrl\+S/]);
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
});

test('the command palette finds and runs a command from the keyboard', async ({ page, wirebook }) => {
  await page.goto(`${wirebook.origin}/notebooks/palette.ipynb?token=${wirebook.token}`);
  await expectConnected(page);
  await expect(page.getByTestId('cell')).toHaveCount(1);
  await page.keyboard.press('Control+k');
  const palette = page.getByTestId('command-palette');
  // Its input takes the focus once it is drawn; keys typed before would go to the notebook.
  const query = palette.locator('input');
  await expect(query).toBeFocused();
  await page.keyboard.type('insert cell below');
  await expect(palette.locator('.palette-item').first()).toHaveAttribute('data-command', 'insert-cell-below');
  await page.keyboard.press('Enter');
  await expect(palette).toBeHidden();
  await expect(page.getByTestId('cell')).toHaveCount(2);
  await page.keyboard.press('Control+k');
  await expect(query).toBeFocused();
  await page.keyboard.type('zzz nothing');
  await expect(palette).toContainText('No command matches.');
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();
});

test('cells copied with Ctrl+C in one tab are pasted with Ctrl+V in another', async ({ page, wirebook, context }) => {
  await page.goto(`${wirebook.origin}/notebooks/from.ipynb?token=${wirebook.token}`);
  await expectConnected(page);
  const kb = page.keyboard;
  await kb.press('Enter');
  await kb.type('first');
  await kb.press('Escape');
  await kb.press('b');
  await kb.press('Enter');
  await kb.type('second');
  await kb.press('Escape');
  await kb.press('Shift+K');
  await expect(page.locator('[data-testid=cell][data-selected=true]')).toHaveCount(2);
  await kb.press('Control+c');

  const other = await context.newPage();
  await other.goto(`${wirebook.origin}/notebooks/to.ipynb?token=${wirebook.token}`);
  await expectConnected(other);
  await expect(other.getByTestId('mode')).toHaveText('Command');
  await other.keyboard.press('Control+v');
  await expectSources(other, ['', 'first', 'second']);
  await expect(other.getByTestId('cell').nth(2)).toHaveAttribute('data-selected', 'true');
  await expect(other.getByTestId('save-state')).toHaveAttribute('data-state', 'unsaved');

  // In a cell's editor Ctrl+V is the browser's: the cells' text is typed in.
  await other.keyboard.press('b');
  await other.keyboard.press('Enter');
  await expect(other.getByTestId('mode')).toHaveText('Edit');
  await other.keyboard.press('Control+v');
  await expectSources(other, ['', 'first', 'second', 'first\n\nsecond']);

  // Ctrl+X in command mode cuts the selected cell onto the clipboard; back in the first tab
  // Ctrl+V pastes it below the selection.
  await other.keyboard.press('Escape');
  await other.keyboard.press('Control+x');
  await expectSources(other, ['', 'first', 'second']);
  await page.bringToFront();
  await kb.press('j');
  await kb.press('Control+v');
  await expectSources(page, ['first', 'second', 'first\n\nsecond']);
});

test('rebinding a command in the shortcuts dialog lasts across a reload', async ({ page, wirebook }) => {
  await page.goto(`${wirebook.origin}/notebooks/rebind.ipynb?token=${wirebook.token}`);
  await expectConnected(page);
  const cells = page.getByTestId('cell');
  await expect(cells).toHaveCount(1);
  await expect(page.getByTestId('mode')).toHaveText('Command');
  await page.keyboard.press('h');
  const help = page.getByTestId('help-overlay');
  await expect(help).toBeVisible();
  const row = help.locator('section[data-mode=command] tr[data-command=insert-cell-below]');
  const panel = help.getByTestId('rebind-panel');

  // J is taken: the dialog names the command that has it, and Esc keeps both as they were.
  await row.locator('[data-testid=binding][data-keys="B"]').focus();
  await page.keyboard.press('Enter');
  await expect(panel).toHaveAttribute('data-state', 'recording');
  await page.keyboard.press('j');
  await expect(panel).toHaveAttribute('data-state', 'clash');
  await expect(panel).toContainText('Select cell below');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(row.getByTestId('binding')).toHaveAttribute('data-keys', 'B');
  // Ctrl+S is recorded (not saving the notebook) and named as Save's.
  await row.getByTestId('add-binding').click();
  await page.keyboard.press('Control+s');
  await expect(panel).toHaveAttribute('data-state', 'clash');
  await expect(panel).toContainText('Save');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'new');

  // Q is free: it replaces B at once.
  await row.locator('[data-testid=binding][data-keys="B"]').focus();
  await page.keyboard.press('Enter');
  await expect(panel).toHaveAttribute('data-state', 'recording');
  await page.keyboard.press('q');
  await expect(row.getByTestId('binding')).toHaveAttribute('data-keys', 'Q');
  await expect(row.getByTestId('reset-binding')).toBeVisible();
  await expect(panel).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  await page.reload();
  await expectConnected(page);
  await expect(page.getByTestId('mode')).toHaveText('Command');
  await page.keyboard.press('b');
  await page.keyboard.press('q');
  await expect(cells).toHaveCount(2);
  // Only Q added a cell: B no longer does.
  await page.keyboard.press('k');
  await expect(cells.nth(0)).toHaveAttribute('data-selected', 'true');
  await expect(cells).toHaveCount(2);
  // The palette shows the new key.
  await page.keyboard.press('Control+k');
  const palette = page.getByTestId('command-palette');
  await expect(palette.locator('input')).toBeFocused();
  await page.keyboard.type('insert cell below');
  const item = palette.locator('.palette-item[data-command=insert-cell-below]');
  await expect(item.locator('kbd')).toHaveText(['Q']);
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();

  // Reset all brings B back.
  await page.keyboard.press('h');
  await help.getByTestId('reset-keymap').click();
  await expect(row.getByTestId('binding')).toHaveAttribute('data-keys', 'B');
  await expect(help.getByTestId('reset-keymap')).toBeDisabled();

  // Esc is a key like any other (it can be bound); Esc twice cancels the recording.
  await row.getByTestId('add-binding').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(row.getByTestId('binding')).toHaveCount(1);
  await row.getByTestId('add-binding').click();
  await page.keyboard.press('Escape');
  await expect(row.locator('[data-testid=binding][data-keys="Escape"]')).toBeVisible();
});

test('file browser: create, open, rename and delete notebooks', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  const browser = page.getByTestId('file-browser');
  await expect(browser).toBeVisible();
  await expect(browser).toContainText('No notebooks here yet.');

  await browser.getByTestId('new-notebook').click();
  await expect(page).toHaveURL(/\/notebooks\/Untitled\.ipynb$/);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');

  // The notebook page has the browser behind its "Files" control.
  await page.getByRole('button', { name: 'Files', exact: true }).click();
  const entry = page.getByTestId('file-entry').filter({ hasText: 'Untitled.ipynb' });
  await expect(entry).toHaveClass(/current/);
  await entry.getByRole('button', { name: 'Rename Untitled.ipynb' }).click();
  const input = page.getByTestId('rename-input');
  await expect(input).toBeFocused();
  await input.fill('renamed');
  await input.press('Enter');
  const renamed = page.getByTestId('file-entry').filter({ hasText: 'renamed.ipynb' });
  await expect(renamed).toBeVisible();
  // The open notebook followed its file.
  await expect(page).toHaveURL(/\/notebooks\/renamed\.ipynb$/);

  // Deleting asks first; the open notebook cannot be deleted from its own page.
  await expect(renamed.getByRole('button', { name: 'Delete renamed.ipynb' })).toBeDisabled();
  await page.goto(wirebook.url);
  const listed = page.getByTestId('file-entry').filter({ hasText: 'renamed.ipynb' });
  // The question is the page's own (no browser dialog): Cancel has the focus, Esc cancels.
  page.on('dialog', () => {
    throw new Error('a native dialog opened');
  });
  const question = page.getByTestId('question');
  await listed.getByRole('button', { name: 'Delete renamed.ipynb' }).click();
  await expect(question).toContainText('Delete the notebook “renamed.ipynb”?');
  await expect(question.getByTestId('question-no')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(question).toHaveCount(0);
  await expect(listed).toBeVisible();
  await listed.getByRole('button', { name: 'Delete renamed.ipynb' }).click();
  await question.getByTestId('question-yes').click();
  await expect(listed).toHaveCount(0);
  await expect(page.getByTestId('file-browser')).toContainText('No notebooks here yet.');
});

test('the cell editor indents, closes brackets and steps over them, and Ctrl+Z undoes it', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expectConnected(page);
  // The echo kernel's cells are plain text: Enter keeps the line's indentation.
  const editor = page.getByTestId('cell').nth(0).getByTestId('cell-editor');
  await editor.focus();
  await page.keyboard.type('if f(x["k"]):');
  // Typing the closers stepped over the ones the editor inserted: nothing doubled.
  await expectEditorText(editor, 'if f(x["k"]):');
  // Tab without a selection inserts spaces to the next stop, as in Jupyter's editor.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.type('pass');
  await expectEditorText(editor, 'if f(x["k"]):\n    pass');
  await page.keyboard.press('Enter');
  await page.keyboard.type('x');
  await expectEditorText(editor, 'if f(x["k"]):\n    pass\n    x');
  // Moving the cursor ends the undo step (quick typing and edits next to it are one step).
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+Tab');
  await expectEditorText(editor, 'if f(x["k"]):\n    pass\nx');
  await page.keyboard.press('Control+z');
  await expectEditorText(editor, 'if f(x["k"]):\n    pass\n    x');
  // Still in edit mode: undo inside the editor is the editor's.
  await expect(page.getByTestId('mode')).toHaveText('Edit');
});
