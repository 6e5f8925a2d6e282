// The filter box takes display-filter expressions (issue #17): typing one narrows the rows, a
// bad one says what is wrong and at which column, field names complete from the keyboard, and
// plain words still search; the chips and menus write clauses in the box.
import path from 'node:path';
import { fill } from '../echo_fill';
import { test, expect } from './wirebook';

const artifacts = path.resolve(__dirname, '..', '..', 'artifacts');

test('an expression narrows the rows, an error points to its column, fields complete', async ({ page, browser, wirebook }) => {
  await fill(browser, wirebook.origin, 30);
  await page.goto(wirebook.url);
  const list = page.getByTestId('capture-list');
  const box = page.getByTestId('filter-search');
  await expect(page.getByTestId('capture-row').filter({ hasText: 'm29' }).first()).toBeVisible();
  const everything = Number(await list.getAttribute('aria-rowcount'));

  // /echo's answers m10..m19: ten rows.
  await box.fill('hop == endpoint && dir == to_client && text ~ "^m1[0-9]$"');
  await expect(list).toHaveAttribute('aria-rowcount', '10');
  // After a value comes an operator: no field names are offered.
  await expect(page.getByTestId('filter-suggestion')).toHaveCount(0);
  for (const row of await page.getByTestId('capture-row').all()) {
    await expect(row).toHaveAttribute('data-direction', 'to_client');
  }

  // A half-typed expression: the error says where; the rows stay as the last filter left them.
  await box.fill('hop == endpoint && len >');
  await expect(page.getByTestId('filter-error')).toHaveText("column 25: expected a value after '>'");
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expect(list).toHaveAttribute('aria-rowcount', '10');
  await box.fill('hop == endpoint && opcod == close');
  await expect(page.getByTestId('filter-error')).toContainText("unknown field 'opcod'; did you mean 'opcode'?");

  // Completion: type the start of a field, move with the arrows, pick with Tab.
  await box.fill('');
  await box.pressSequentially('hop == endpoint && op');
  const suggestions = page.getByTestId('filter-suggestion');
  await expect(suggestions).toHaveCount(1);
  await expect(suggestions.first()).toContainText('opcode');
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Tab');
  await expect(box).toHaveValue('hop == endpoint && opcode');
  await expect(suggestions).toHaveCount(0);
  await box.pressSequentially(' == cl');
  await expect(suggestions).toHaveText([/close/]);
  await page.keyboard.press('Enter');
  await expect(box).toHaveValue('hop == endpoint && opcode == close');
  // The client's close and /echo's answer.
  await expect(list).toHaveAttribute('aria-rowcount', '2');
  for (const row of await page.getByTestId('capture-row').all()) {
    await expect(row).toHaveAttribute('data-opcode', 'close');
  }
  await expect(page.getByTestId('filter-error')).toHaveCount(0);

  // Escape closes the list without picking; ↓ moves through it.
  await box.fill('');
  await box.pressSequentially('rsv');
  await expect(suggestions).toHaveCount(3);
  await page.keyboard.press('ArrowDown');
  await expect(suggestions.nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Escape');
  await expect(suggestions).toHaveCount(0);
  await expect(box).toHaveValue('rsv');

  // Plain words are a search, as before.
  await box.fill('M27');
  await expect(page.getByTestId('filter-error')).toHaveCount(0);
  await expect(list).toHaveAttribute('aria-rowcount', '2');
  await box.fill('');
  await expect(list).toHaveAttribute('aria-rowcount', String(everything));
});

// The chips and menus are shortcuts that write their clause in the box (Wireshark's filter
// buttons): the box always says the whole filter, and a chip is pressed when its clause is there.
test('a chip writes its clause in the box, and editing the box unpresses it', async ({ page, browser, wirebook }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await fill(browser, wirebook.origin, 12);
  await page.goto(wirebook.url);
  const list = page.getByTestId('capture-list');
  const box = page.getByTestId('filter-search');
  const rows = page.getByTestId('capture-row');
  const textChip = page.locator('[data-testid=filter-kind][data-kind=text]');
  await expect(rows.filter({ hasText: 'm11' }).first()).toBeVisible();
  await expect(textChip).toHaveAttribute('aria-pressed', 'false');

  // Hiding text frames: the clause appears in the box and the text rows go.
  await textChip.click();
  await expect(textChip).toHaveAttribute('aria-pressed', 'true');
  await expect(box).toHaveValue('!(opcode == text)');
  await expect(page.locator('[data-testid=capture-row][data-opcode=text]')).toHaveCount(0);
  await expect(page.locator('[data-testid=capture-row][data-event=handshake]').first()).toBeVisible();

  // The scope menu adds its own clause beside it.
  await page.getByTestId('filter-scope').selectOption('hop:endpoint');
  await expect(box).toHaveValue('!(opcode == text) && hop == endpoint');
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute('data-hop', 'endpoint');
  }
  await page.screenshot({ path: path.join(artifacts, 'filter-chips.png') });

  // Editing the box by hand: the text chip unpresses, the menus read what is typed.
  await box.fill('hop == endpoint && dir==to_client && text ~ "^m1[01]$"');
  await expect(textChip).toHaveAttribute('aria-pressed', 'false');
  await expect(list).toHaveAttribute('aria-rowcount', '2');
  await expect(page.getByTestId('filter-scope')).toHaveValue('hop:endpoint');
  await expect(page.getByTestId('filter-direction')).toHaveValue('to_client');
  // A menu set back to "both" takes its clause out, keeping the rest as typed.
  await page.getByTestId('filter-direction').selectOption('');
  await expect(box).toHaveValue('hop == endpoint && text ~ "^m1[01]$"');
  await expect(list).toHaveAttribute('aria-rowcount', '4');

  // An `||` at the top is wrapped before the chip's clause joins it.
  await box.fill('opcode == close || opcode == text');
  await expect(page.locator('[data-testid=capture-row][data-opcode=text]').first()).toBeVisible();
  await textChip.click();
  await expect(box).toHaveValue('(opcode == close || opcode == text) && !(opcode == text)');
  await expect(page.locator('[data-testid=capture-row][data-opcode=text]')).toHaveCount(0);
  await expect(page.locator('[data-testid=capture-row][data-opcode=close]').first()).toBeVisible();
  await expect(page.getByTestId('filter-error')).toHaveCount(0);
});
