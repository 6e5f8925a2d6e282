// How every e2e spec and bench launches Debian's Chromium (never a Playwright-downloaded one).
// Without the background-networking switches Chromium tries to reach Google's hosts at start,
// which this machine's closed network refuses; --no-sandbox because CI runs as root.
exports.CHROMIUM = process.env.WIREBOOK_CHROMIUM ?? '/usr/bin/chromium';
exports.CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
