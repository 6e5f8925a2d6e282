// A Jupyter Server named in the kernel picker: its URL and token typed in, its kernels offered
// (as with --gateway-url), and no longer offered once the user says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './wirebook';

const repo = path.resolve(__dirname, '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A real Jupyter Server on loopback with its own dirs and a random token. */
async function jupyterServer(): Promise<{ url: string; token: string; child: ChildProcess }> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wirebook-e2e-jupyter-'));
  const child = spawn(python, [
    '-m', 'jupyter_server', '--no-browser', '--allow-root',
    `--ServerApp.port=${port}`, '--ServerApp.port_retries=0', '--ServerApp.ip=127.0.0.1',
    `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${dir}`,
  ], {
    stdio: 'ignore',
    env: { ...process.env, JUPYTER_RUNTIME_DIR: dir, JUPYTER_DATA_DIR: dir, JUPYTER_CONFIG_DIR: dir, IPYTHONDIR: dir },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      const answer = await fetch(`${url}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } });
      if (answer.ok) return { url, token, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('jupyter server did not start within 30 s');
}

test('a Jupyter Server typed into the picker offers its kernels until told not to', async ({ page, wirebook }) => {
  test.setTimeout(90_000);
  const jupyter = await jupyterServer();
  try {
    await page.goto(wirebook.url);
    await expect(page.getByTestId('kernel-status')).toHaveAttribute('data-state', 'open');
    await page.getByTestId('status-change-kernel').click();
    const picker = page.getByTestId('kernel-picker');
    const remote = picker.getByTestId('kernel-option').filter({ hasText: 'remote (gateway)' });
    await expect(remote).toHaveCount(0);

    await picker.getByTestId('kernel-option').filter({ hasText: 'Jupyter Server…' }).click();
    await expect(picker.getByTestId('gateway-url')).toBeFocused();
    await page.keyboard.type(jupyter.url);
    await picker.getByTestId('gateway-token').fill(jupyter.token);
    await page.keyboard.press('Enter');
    await expect(remote.first()).toBeVisible({ timeout: 20_000 });
    await expect(picker.getByTestId('gateway-now')).toContainText(jupyter.url);
    // The token is not kept in the page.
    await expect(picker.getByTestId('gateway-token')).toHaveValue('');
    await page.screenshot({ path: path.join(repo, 'artifacts', 'gateway-picker.png') });

    await picker.getByTestId('gateway-forget').click();
    await expect(remote).toHaveCount(0);
    await expect(picker.getByTestId('gateway-now')).toHaveCount(0);

    // A URL the server cannot use says why.
    await picker.getByTestId('gateway-url').fill('ftp://127.0.0.1:1/');
    await picker.getByTestId('gateway-connect').click();
    await expect(page.getByTestId('notice')).toContainText('cannot use that gateway');
  } finally {
    jupyter.child.kill();
  }
});
