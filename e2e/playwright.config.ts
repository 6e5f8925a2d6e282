// Playwright configuration for wirebook's end-to-end suite.
//
// The suite drives Debian's Chromium (/usr/bin/chromium, installed by scripts/bootstrap.sh test)
// rather than a Playwright-downloaded browser: nothing here may download tools. Each worker starts
// its own `wirebook` server on a free loopback port (see tests/wirebook.ts).
import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';

const artifacts = path.resolve(__dirname, '..', 'artifacts');

export default defineConfig({
  testDir: './tests',
  outputDir: path.join(artifacts, 'test-results'),
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list'], ['./summary-reporter.ts']],
  use: {
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
});
