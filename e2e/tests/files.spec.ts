// The notebook's file as Jupyter users expect it: a change on disk is noticed at once (a
// notebook without unsaved changes reloads, one with them asks), a mistyped address creates
// nothing until saved, a notebook whose kernel is offered nowhere says "Kernel not found"
// and runs nothing until a kernel is picked, and its code is highlighted in the language the
// file names before any kernel answers.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './wirebook';

const empty = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };

function markdown(id: string, text: string) {
  return { cell_type: 'markdown', id, metadata: {}, source: text };
}

// A notebook of one code cell holding `source`, written for a kernel with this `metadata`,
// saved as `name` in the server's notebook directory.
function writeCodeNotebook(dir: string, name: string, metadata: object, source: string) {
  const cell = { cell_type: 'code', id: 'c', metadata: {}, source, outputs: [], execution_count: null };
  writeFileSync(path.join(dir, name), JSON.stringify({ ...empty, metadata, cells: [cell] }));
}

test('a change on disk reloads a notebook without unsaved changes', async ({ page, wirebook }) => {
  const api = `${wirebook.origin}/api/notebooks/calm.ipynb?token=${wirebook.token}`;
  const mine = { ...empty, cells: [markdown('a', 'first text')] };
  expect((await page.request.put(api, { data: { content: mine, last_modified: null } })).status()).toBe(200);
  await page.goto(`${wirebook.origin}/notebooks/calm.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('markdown-rendered')).toHaveText('first text');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');

  // Another program writes the file: the page shows it within a few seconds, by itself.
  const theirs = { ...empty, cells: [markdown('a', 'their text')] };
  writeFileSync(path.join(wirebook.notebookDir, 'calm.ipynb'), JSON.stringify(theirs));
  await expect(page.getByTestId('markdown-rendered')).toHaveText('their text');
  await expect(page.getByTestId('notice')).toContainText('calm.ipynb changed on disk and was reloaded');
  await expect(page.getByTestId('save-conflict')).toBeHidden();
});

test('a change on disk under unsaved changes asks at once, and overwrite keeps mine', async ({ page, wirebook }) => {
  const api = `${wirebook.origin}/api/notebooks/shared.ipynb?token=${wirebook.token}`;
  expect((await page.request.put(api, { data: { content: empty, last_modified: null } })).status()).toBe(200);
  await page.goto(`${wirebook.origin}/notebooks/shared.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');

  await page.keyboard.press('Enter');
  await page.keyboard.type('my text');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'unsaved');
  // Someone else saves the file meanwhile: the dialog opens without waiting for a save.
  const theirs = { ...empty, cells: [markdown('theirs', 'their text')] };
  expect((await page.request.put(api, { data: { content: theirs, last_modified: null, force: true } })).status()).toBe(200);
  const dialog = page.getByTestId('save-conflict');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'conflict');
  await dialog.getByTestId('conflict-overwrite').click();
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  const saved = await (await page.request.get(api)).json();
  // nbformat stores sources as lists of lines.
  expect(saved.content.cells.map((c: { source: string[] }) => c.source.join(''))).toEqual(['my text']);
});

test('a mistyped notebook address says so and creates nothing until saved', async ({ page, wirebook }) => {
  await page.goto(`${wirebook.origin}/notebooks/nope.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('notice')).toContainText('nope.ipynb does not exist');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'new');
  // Changing it (here: typing) is not a reason to create the file.
  await page.keyboard.press('Enter');
  await page.keyboard.type('draft');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(3000); // longer than the autosave delay
  expect(existsSync(path.join(wirebook.notebookDir, 'nope.ipynb'))).toBe(false);
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'unsaved');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved');
  expect(existsSync(path.join(wirebook.notebookDir, 'nope.ipynb'))).toBe(true);
});

test('a notebook whose kernel is offered nowhere says so and runs nothing until one is picked', async ({ page, wirebook }) => {
  const kernelspec = { name: 'julia-1.10', display_name: 'Julia 1.10', language: 'julia' };
  writeCodeNotebook(wirebook.notebookDir, 'julia.ipynb', { kernelspec }, 'hello');
  await page.goto(`${wirebook.origin}/notebooks/julia.ipynb?token=${wirebook.token}`);
  const picker = page.getByTestId('kernel-picker');
  await expect(picker).toBeVisible();
  await expect(picker.getByTestId('kernel-not-found')).toContainText('“Julia 1.10” (julia-1.10) is offered neither');
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'failed');
  await expect(page.getByTestId('kernel-status')).toContainText('julia-1.10');

  // Closed without a choice: a run is refused and the picker comes back.
  await page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  await page.keyboard.press('Shift+Enter');
  const cell = page.getByTestId('cell').nth(0);
  await expect(cell).toContainText('Not run. This notebook\'s kernel “Julia 1.10”');
  await expect(picker).toBeVisible();
  // The notebook still asks for its own kernel.
  const api = `${wirebook.origin}/api/notebooks/julia.ipynb?token=${wirebook.token}`;
  expect((await (await page.request.get(api)).json()).content.metadata.kernelspec.name).toBe('julia-1.10');

  // Picking the echo kernel runs cells there.
  await picker.getByTestId('kernel-option').filter({ hasText: 'echo' }).first().click();
  await expect(picker).toBeHidden();
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await page.getByTestId('cell').nth(0).click();
  await page.keyboard.press('Shift+Enter');
  await expect(cell.getByTestId('output-item')).toHaveText(['hello']);
});

test('leaving the scratch notebook with changes asks in the page', async ({ page, wirebook }) => {
  await page.goto(wirebook.url);
  await expect(page.getByTestId('mode')).toHaveText('Edit');
  await page.keyboard.type('draft');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'unsaved');
  const question = page.getByTestId('question');
  await page.getByTestId('new-notebook').click();
  await expect(question).toContainText('Leave the scratch notebook?');
  await question.getByTestId('question-no').click();
  await expect(question).toHaveCount(0);
  await expect(page).toHaveURL(/\/\?token=/);
  await page.getByTestId('new-notebook').click();
  await question.getByTestId('question-yes').click();
  await expect(page).toHaveURL(/\/notebooks\/Untitled\.ipynb$/);
});

test('the code of a notebook is highlighted in the language its file names before the kernel answers', async ({ page, wirebook }) => {
  const kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
  const metadata = { kernelspec, language_info: { name: 'python' } };
  writeCodeNotebook(wirebook.notebookDir, 'early.ipynb', metadata, 'import os');
  // The session socket is held unanswered: the page never hears which kernel it has.
  await page.routeWebSocket(/\/session/, () => {});
  await page.goto(`${wirebook.origin}/notebooks/early.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('cell-editor').locator('.tok-keyword')).toHaveText('import');
  await expect(page.getByTestId('kernel-status')).toContainText('connecting');
});

test('a notebook whose kernel is not offered keeps the language its file names', async ({ page, wirebook }) => {
  const kernelspec = { name: 'python-elsewhere', display_name: 'Python elsewhere', language: 'python' };
  writeCodeNotebook(wirebook.notebookDir, 'elsewhere.ipynb', { kernelspec }, 'import os');
  await page.goto(`${wirebook.origin}/notebooks/elsewhere.ipynb?token=${wirebook.token}`);
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'failed');
  await expect(page.getByTestId('cell-editor').locator('.tok-keyword')).toHaveText('import');
  // A kernel picked: its language from then on (the echo kernel takes text messages).
  await page.getByTestId('kernel-picker').getByTestId('kernel-option').filter({ hasText: 'echo' }).first().click();
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('cell-editor').locator('.tok-keyword')).toHaveCount(0);
});
