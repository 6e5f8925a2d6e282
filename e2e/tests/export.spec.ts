// The inspector's exports, downloaded the way a user does (the HAR, JSONL and pcapng buttons)
// after the echo demo, then read back: the HAR lists the messages of both hops, the JSONL is one
// record per line with client frames masked, the pcapng is a capture file with the cell's text
// in it (server/tests/it/pcapng.rs reads one with tshark).
import { readFileSync } from 'node:fs';
import type { Download, Page } from '@playwright/test';
import { test, expect, expectConnected } from './wirebook';

const TEXT = 'export-me-42';

async function runEchoDemo(page: Page, url: string) {
  await page.goto(url);
  await expectConnected(page);
  const cell = page.getByTestId('cell').first();
  const editor = cell.getByTestId('cell-editor');
  await editor.click();
  await editor.fill(TEXT);
  await editor.press('Shift+Enter');
  await expect(cell.getByTestId('output-item')).toHaveText([TEXT]);
  // The reply's frames reached the capture (and so the exports) once the inspector shows them.
  await expect(
    page
      .locator('[data-testid=capture-row][data-hop=browser][data-direction=to_client][data-event=frame]')
      .filter({ hasText: TEXT })
      .first(),
  ).toBeVisible();
}

async function downloadBytes(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [file]: [Download, void] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(testId).click(),
  ]);
  const saved = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(saved) };
}

async function download(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const { name, bytes } = await downloadBytes(page, testId);
  return { name, text: bytes.toString('utf8') };
}

type HarMessage = { type: 'send' | 'receive'; time: number; opcode: number; data: string };
type HarEntry = {
  request: { url: string; method: string };
  response: { status: number };
  _resourceType: string;
  _webSocketMessages: HarMessage[];
};

test('the HAR button downloads both hops with their messages', async ({ page, wirebook }) => {
  await runEchoDemo(page, wirebook.url);
  const { name, text } = await download(page, 'export-har');
  expect(name).toBe('wirebook-capture.har');
  const har = JSON.parse(text) as { log: { version: string; entries: HarEntry[] } };
  expect(har.log.version).toBe('1.2');
  const entries = har.log.entries;
  for (const entry of entries) {
    expect(entry._resourceType).toBe('websocket');
    expect(entry.response.status).toBe(101);
  }
  const withText = (entry: HarEntry, type: 'send' | 'receive') =>
    entry._webSocketMessages.filter((m) => m.type === type && m.data.includes(TEXT));

  // Browser hop: the execute request goes out, the output comes back.
  const session = entries.filter((e) => new URL(e.request.url).pathname === '/session');
  expect(session).toHaveLength(1);
  expect(withText(session[0], 'send').length).toBeGreaterThan(0);
  expect(withText(session[0], 'receive').length).toBeGreaterThan(0);
  // The token the browser connected with is not in the export.
  expect(text).not.toContain(wirebook.token);

  // Kernel hop (wirebook → /echo) and the echo endpoint's own side: the cell's text verbatim,
  // sent and echoed, in that order.
  const echo = entries.filter((e) => new URL(e.request.url).pathname === '/echo');
  expect(echo.length).toBeGreaterThanOrEqual(1);
  for (const entry of echo) {
    const sent = entry._webSocketMessages.filter((m) => m.data === TEXT);
    expect(sent.map((m) => m.type)).toEqual(['send', 'receive']);
    expect(sent[0].opcode).toBe(1);
    expect(sent[1].time).toBeGreaterThanOrEqual(sent[0].time);
  }
});

test('the JSONL button downloads one record per line, client frames masked', async ({ page, wirebook }) => {
  await runEchoDemo(page, wirebook.url);
  const { name, text } = await download(page, 'export-jsonl');
  expect(name).toBe('wirebook-capture.jsonl');
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  const records = lines.map((line) => JSON.parse(line));
  // Ordered by seq, no gaps (the ring kept everything).
  records.forEach((record, i) => i > 0 && expect(record.seq).toBe(records[i - 1].seq + 1));

  const frames = records.filter((r) => r.body.event === 'frame');
  expect(frames.length).toBeGreaterThan(0);
  for (const { body } of frames) {
    if (body.direction === 'to_server') {
      expect(body.mask_key, JSON.stringify(body)).toHaveLength(4);
      expect(body.header_hex.slice(2, 4) >= '80', JSON.stringify(body)).toBe(true);
    } else {
      expect(body.direction).toBe('to_client');
      expect(body.mask_key, JSON.stringify(body)).toBeNull();
    }
  }
  // The cell's text crossed every hop in both directions, as whole messages.
  for (const hop of ['browser', 'kernel', 'endpoint']) {
    for (const direction of ['to_server', 'to_client']) {
      const found = frames.some(
        (r) =>
          r.hop === hop &&
          r.body.direction === direction &&
          r.body.message?.opcode === 'text' &&
          r.body.message.preview.includes(TEXT),
      );
      expect(found, `${hop} ${direction}`).toBe(true);
    }
  }
  // Each connection opens with `open`, then its handshake.
  const opens = records.filter((r) => r.body.event === 'open');
  for (const open of opens) {
    const next = records.find((r) => r.conn === open.conn && r.seq > open.seq);
    if (next) expect(['handshake', 'closed']).toContain(next.body.event);
  }
});

test('the pcapng button downloads a capture file with the cell\'s frames', async ({ page, wirebook }) => {
  await runEchoDemo(page, wirebook.url);
  const { name, bytes } = await downloadBytes(page, 'export-pcapng');
  expect(name).toBe('wirebook-capture.pcapng');
  // A section header block, little-endian (its byte-order magic), then the interface.
  expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
  expect(bytes.readUInt32LE(8)).toBe(0x1a2b3c4d);
  expect(bytes.readUInt32LE(bytes.readUInt32LE(4))).toBe(1);
  // The upgrades and the echo's unmasked text are in it; the token is not.
  const text = bytes.toString('latin1');
  expect(text).toContain('GET /echo HTTP/1.1');
  expect(text).toContain(TEXT);
  expect(text).not.toContain(wirebook.token);
});
