// A python `websockets` server for the e2e specs (server/tests/peers/upstream_server.py from the
// project's venv), and the inspector rows a spec looks for.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Page } from '@playwright/test';

export const repo = path.resolve(__dirname, '..', '..');
export const artifacts = path.join(repo, 'artifacts');
const python = path.join(repo, '.venv', 'bin', 'python');
const upstreamScript = path.join(repo, 'server', 'tests', 'peers', 'upstream_server.py');

/** Starts the python `websockets` echo server on `port`, or on a free loopback port. */
export async function startUpstream(port?: number): Promise<{ url: string; child: ChildProcess }> {
  const args = port === undefined ? [upstreamScript] : [upstreamScript, '--port', String(port)];
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const bound = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no PORT line within 10 s: ${stderr}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const m = /^PORT (\d+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`upstream exited (${code}): ${stderr}`)));
  });
  return { url: `ws://127.0.0.1:${bound}/feed`, child };
}

export function stopUpstream(child: ChildProcess) {
  // The server serves until its stdin closes.
  child.stdin?.end();
  setTimeout(() => child.kill(), 2_000).unref();
}

/** Frames on one hop and direction whose row contains `text`. */
export function frames(page: Page, hop: string, direction: 'to_server' | 'to_client', text: string) {
  return page
    .locator(`[data-testid=capture-row][data-hop=${hop}][data-direction=${direction}][data-event=frame]`)
    .filter({ hasText: text });
}
