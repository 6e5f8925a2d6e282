// Debian's nginx as a reverse proxy in front of wirebook, started by a test as an ordinary
// process on a free loopback port, with every path it writes (pid, logs, temp files) in a fresh
// temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const NGINX = '/usr/sbin/nginx';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class Nginx {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** nginx proxying `prefix` (e.g. `/wirebook/`), passed on as it is, to 127.0.0.1:`upstreamPort`,
   * WebSocket upgrades included, as a JupyterHub or jupyter-server-proxy deployment would. */
  static async start(prefix: string, upstreamPort: number): Promise<Nginx> {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: scripts/bootstrap.sh test installs nginx-light`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wirebook-e2e-nginx-'));
    const port = await freePort();
    const conf = `
worker_processes 1;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { application/wasm wasm; }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    location ${prefix} {
      # No URI after the address: the path goes on with its prefix, which wirebook expects.
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
      proxy_buffering off;
    }
  }
}
`;
    const confPath = path.join(dir, 'nginx.conf');
    writeFileSync(confPath, conf);
    const child = spawn(NGINX, ['-p', dir, '-c', confPath, '-g', `daemon off; pid ${dir}/nginx.pid;`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const proxy = new Nginx(port, dir, child);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      if (await accepts(port)) return proxy;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const log = existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, 'utf8') : '';
    await proxy.stop();
    throw new Error(`nginx did not start on port ${port}:\n${stderr}\n${log}`);
  }

  /** The proxy's access log: what went through it. */
  accessLog(): string {
    const file = path.join(this.dir, 'access.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGQUIT: nginx's graceful stop; SIGKILL if it takes too long.
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
