// Browser half of the goim.js failover test (test/e2e/membership_e2e_test.cc,
// MembershipE2E.GoimJsReconnectsToALiveCometWhenItsCometDies): the danmaku page, served by a
// cluster logic whose /goim/nodes/weighted names two comets on one WebSocket port, in Debian's
// headless chromium (playwright-core). It prints `connected <host>` once the page is open; the
// C++ test then kills that comet (-9). The page must reconnect on its own to the other comet
// (goim.js: backoff from /goim/nodes/weighted, then each listed node in turn), print
// `reconnected <host>`, and show a room push made after that.
//
//   node test/browser/failover_test.js <logic base URL> <api key or "">
//
// Exit 0 = passed, 1 = failed, 77 = skipped (the reason is printed).
'use strict';
const {check, requireBrowser} = require('./chromium');
const [base, apiKey = ''] = process.argv.slice(2);
if (!base) {
  console.error('usage: failover_test.js <logic base URL> [api key]');
  process.exit(2);
}

const browserKit = requireBrowser();

async function main() {
  const browser = await browserKit.launch();
  try {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => console.log('page error: ' + e.message));
    // The host of every WebSocket the page opened, in order (goim.js dials ws://<node>:<port>/sub).
    const dialed = [];
    page.on('websocket', (ws) => dialed.push(new URL(ws.url()).hostname));
    const open = () => page.waitForSelector('#status[data-state="open"]', {timeout: 30000});
    await page.goto(base + '/?room=' + encodeURIComponent('live://1000'));
    await open();
    const first = dialed[dialed.length - 1];
    check(/^127\.0\.0\.\d+$/.test(first), 'the page connected to a comet named by /goim/nodes/weighted: ' + first);
    console.log('connected ' + first);

    // The test kills that comet now: the page leaves "open" and comes back on another comet.
    await page.waitForSelector('#status:not([data-state="open"])', {timeout: 30000});
    const closedAt = Date.now();
    await open();
    const second = dialed[dialed.length - 1];
    check(second !== first, `reconnected to another comet (${second}) after ${Date.now() - closedAt} ms, ` +
                            `${dialed.length} WebSocket(s) dialed in all`);
    console.log('reconnected ' + second);

    const text = `after failover ${Date.now()}`;
    const headers = apiKey ? {'X-Goim-Key': apiKey} : {};
    const reply = await (await fetch(base + '/goim/push/room?operation=1000&type=live&room=1000',
                                     {method: 'POST', body: text, headers})).json();
    check(reply.code === 0, 'room push answered code 0');
    await page.waitForFunction((t) => [...document.querySelectorAll('#stage .comment')].some((e) => e.textContent === t),
                               text, {timeout: 15000});
    check(true, 'the page shows the room push through its new comet');
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.log('FAILED: ' + (e && e.stack || e));
  process.exit(1);
});
