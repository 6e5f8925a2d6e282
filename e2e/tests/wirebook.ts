// A Playwright fixture that runs a real `wirebook` server for each test.
//
// The server binds 127.0.0.1:0 with a random token and serves the trunk-built UI (`make e2e`
// builds both, debug); the URL (with the actual port) is read from the one line wirebook prints
// on stdout. A test can stop and restart the server on the same port and token to exercise the
// browser's reconnect.
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
// `make e2e` builds these two (and passes them in the same variables).
const binary = process.env.WIREBOOK_BIN ?? path.join(repo, 'target', 'debug', 'wirebook');
const dist = process.env.WIREBOOK_DIST ?? path.join(repo, 'target', 'e2e', 'dist');
// The project venv's kernelspecs (scripts/bootstrap.sh installs ipykernel there), offered by
// every server the suite starts, so that tests can pick the Python kernel.
const jupyterPath = path.join(repo, '.venv', 'share', 'jupyter');
const RUNNING_LINE = /^wirebook is running at (http:\/\/127\.0\.0\.1:(\d+)(\/[^?\s]*)\?token=([0-9A-Za-z]+))$/m;

export class WirebookServer {
  /** The URL wirebook printed, e.g. http://127.0.0.1:PORT/?token=TOKEN. */
  url = '';
  /** http://127.0.0.1:PORT, without the token. */
  origin = '';
  /** The base URL the server was started with (`--base-url`, `/` by default). */
  base = '/';
  readonly token = randomBytes(16).toString('hex');
  /** The server's --notebook-dir: a fresh temporary directory per server, kept across restarts. */
  readonly notebookDir = mkdtempSync(path.join(os.tmpdir(), 'wirebook-e2e-'));
  /** Everything the server wrote to stderr (its logs), for failure reports. */
  log = '';
  private _port = 0;
  private child: ChildProcess | null = null;

  /** `extraArgs` go on wirebook's command line (e.g. `--base-url /wirebook/`). */
  constructor(private readonly extraArgs: string[] = []) {}

  /** The port the server listens on (0 before the first start). */
  get port(): number {
    return this._port;
  }

  /** Starts wirebook (on port 0 the first time, on the same port after a stop). */
  async start(): Promise<void> {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`make e2e\`, which builds it`);
    if (!existsSync(path.join(dist, 'index.html'))) {
      throw new Error(`${dist}/index.html is missing: run \`make e2e\`, which builds the UI`);
    }
    const args = [
      '--bind', `127.0.0.1:${this._port}`,
      '--token', this.token,
      '--dist', dist,
      '--notebook-dir', this.notebookDir,
      '--jupyter-path', jupyterPath,
      ...this.extraArgs,
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));

    const started = new Promise<RegExpExecArray>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => fail(new Error('wirebook printed no URL within 15 s')), 15_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`${err.message}\nstdout:\n${stdout}\nstderr:\n${this.log}`));
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = RUNNING_LINE.exec(stdout);
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.once('exit', (code, signal) => fail(new Error(`wirebook exited early (${code ?? signal})`)));
      child.once('error', fail);
    });
    let m: RegExpExecArray;
    try {
      m = await started;
      if (m[4] !== this.token) throw new Error(`wirebook printed token ${m[4]}, expected ${this.token}`);
    } catch (err) {
      // The fixture's teardown only stops a server that started: do not leave this one behind.
      await this.stop(1_000);
      throw err;
    }
    this.url = m[1];
    this._port = Number(m[2]);
    this.base = m[3];
    this.origin = `http://127.0.0.1:${this._port}`;
  }

  /**
   * Stops the server with SIGTERM and waits for it to exit. Resolves to true when it exited by
   * itself within `graceMs`, false when it had to be killed.
   */
  async stop(graceMs = 5_000): Promise<boolean> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const graceful = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs)),
    ]);
    if (!graceful) {
      child.kill('SIGKILL');
      await exited;
    }
    return graceful;
  }
}

export const test = base.extend<{ wirebook: WirebookServer }>({
  wirebook: async ({}, use, testInfo) => {
    const server = new WirebookServer();
    await server.start();
    try {
      await use(server);
    } finally {
      await server.stop();
      rmSync(server.notebookDir, { recursive: true, force: true });
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('wirebook.log', { body: server.log, contentType: 'text/plain' });
      }
    }
  },
});

export { expect };

/** The texts of cell editors, as the user sees them: CodeMirror draws one `.cm-line` per line
 * (the short documents of the tests are drawn whole). */
export function editorTexts(editors: Locator): Promise<string[]> {
  return editors.evaluateAll((els) =>
    els.map((e) => Array.from(e.querySelectorAll('.cm-line'), (line) => line.textContent ?? '').join('\n')),
  );
}

/** The text of one cell editor. */
export async function editorText(editor: Locator): Promise<string> {
  const [text] = await editorTexts(editor);
  return text;
}

/** Waits until a cell editor shows `expected` (a regular expression: a match in it). */
export async function expectEditorText(editor: Locator, expected: string | RegExp): Promise<void> {
  const poll = expect.poll(() => editorText(editor));
  await (typeof expected === 'string' ? poll.toBe(expected) : poll.toMatch(expected));
}

/** Waits until the page's session and its kernel are both open. */
export async function expectConnected(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
}

/** The inspector's rows for the kernel messages of one `msg_type`. */
export function kernelMessageRows(page: Page, msgType: string): Locator {
  return page.locator(`[data-testid=capture-row][data-event=kernel_message][data-msg-type=${msgType}]`);
}

/** The project venv's Python kernel, as the fixture's servers offer it (--jupyter-path). */
export const PYTHON = /Python 3/;

/** Puts `code` into the cell at `index` and runs it with Shift+Enter. */
export async function run(page: Page, index: number, code: string): Promise<void> {
  const editor = page.getByTestId('cell').nth(index).getByTestId('cell-editor');
  await editor.click();
  await editor.fill(code);
  await page.keyboard.press('Shift+Enter');
}

/** Picks the Python kernel in the kernel picker and waits until it is idle. */
export async function pickPython(page: Page): Promise<void> {
  await page.getByTestId('change-kernel').click();
  const picker = page.getByTestId('kernel-picker');
  await expect(picker).toBeVisible();
  const python = picker.getByTestId('kernel-option').filter({ hasText: PYTHON });
  await expect(python).toContainText('python');
  await python.click();
  await expect(picker).toBeHidden();
  await expect(page.getByTestId('kernel-status')).toContainText(PYTHON);
  await expect(page.getByTestId('kernel-activity')).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });
}
