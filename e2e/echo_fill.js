// Fills a server's capture: sends `count` messages m0, m1, … to its /echo and waits for every
// echo, from a page of the server's origin that is not the app (so that it opens no session).
// Used by the paging spec and the opening bench.
exports.fill = async function fill(browser, origin, count) {
  const page = await browser.newPage();
  await page.goto(`${origin}/no-such-page`);
  await page.evaluate(async ({ url, count }) => {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    let got = 0;
    const done = new Promise((resolve) => {
      ws.onmessage = () => {
        got += 1;
        if (got === count) resolve(null);
      };
    });
    for (let i = 0; i < count; i++) ws.send(`m${i}`);
    await done;
    ws.close();
  }, { url: `${origin.replace('http', 'ws')}/echo`, count });
  await page.close();
};
