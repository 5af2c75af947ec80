// Browser test of the danmaku page (examples/danmaku) against a real goim-standalone, driven by
// playwright-core and Debian's headless chromium. Registered in ctest as `browser_danmaku`. Covers
// rooms, room change, online counts, the page's rate limit, reconnects, compression (Chromium's
// permessage-deflate and goim.js's zlib batches, OpRaw version 2) and room history (a page opened
// after 20 pushes shows them as earlier; a stopped and restarted client recovers what it missed).
//
//   node test/browser/danmaku_test.js <goim-standalone> <examples/danmaku> <screenshot.png>
//
// Exit 0 = passed, 1 = failed, 77 = skipped (the reason is printed): ctest reports 77 as skipped.
// playwright-core comes from $GOIM_CACHE_DIR/playwright (scripts/setup.sh installs it there).
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const {check, requireBrowser} = require('./chromium');
const [standaloneBin, staticDir, screenshot] = process.argv.slice(2);
if (!standaloneBin || !staticDir || !screenshot) {
  console.error('usage: danmaku_test.js <goim-standalone> <static dir> <screenshot.png>');
  process.exit(2);
}

const browserKit = requireBrowser();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no answer from ' + url + ' within ' + deadlineMs + ' ms');
}

async function main() {
  const [http, ws, tcp, cometGrpc, logicGrpc, routerGrpc] = await Promise.all(Array.from({length: 6}, freePort));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goim-browser-'));
  const conf = path.join(dir, 'standalone.yaml');
  const a = (p) => `"127.0.0.1:${p}"`;
  fs.writeFileSync(conf, [
    'env: {host: "standalone", addrs: ["127.0.0.1"]}',
    'router:', `  rpcServer: {addr: ${a(routerGrpc)}}`, '  metrics: {addr: ""}',
    'logic:', `  rpcServer: {addr: ${a(logicGrpc)}}`,
    // The push API needs a key the page does not have: comments go over the WebSocket.
    `  httpServer: {addr: ${a(http)}, apiKey: "browser-test-key", staticDir: ${JSON.stringify(path.resolve(staticDir))}}`,
    `  node: {hostDomain: "", wsPort: ${ws}, tcpPort: ${tcp}}`, '  online: {tick: 200ms}',
    'comet:', `  rpcServer: {addr: ${a(cometGrpc)}}`, `  tcp: {bind: [${a(tcp)}]}`, `  websocket: {bind: [${a(ws)}]}`,
    '  online: {interval: 200ms}', '  metrics: {addr: ""}',
    // A fixed 100 ms batching window: comments pushed together reach a room as one batch.
    'job:', '  metrics: {addr: ""}', '  room: {adaptive: false, signal: 100ms}', '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'standalone.log'), 'a');
  const start = () => spawn(standaloneBin, ['-conf', conf], {stdio: ['ignore', log, log]});
  const stop = async (proc) => {
    if (proc.exitCode === null) proc.kill('SIGINT');
    await new Promise((r) => { if (proc.exitCode !== null) r(); else proc.on('exit', r); });
  };
  let server = start();
  let browser;
  try {
    const base = `http://127.0.0.1:${http}`;
    await waitHttp(base + '/', 15000);
    browser = await browserKit.launch();
    const ctx = await browser.newContext({viewport: {width: 1000, height: 620}});
    // Per page: the upgrade's Sec-WebSocket-Extensions answer (from the DevTools protocol) and the
    // compressed batches (OpRaw of version 2) among the messages it received, as the page's
    // WebSocket delivered them (after permessage-deflate).
    const open = async (room, query = '') => {
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.log('page error: ' + e.message));
      page.zlibBatches = 0;
      page.on('websocket', (sock) => sock.on('framereceived', ({payload}) => {
        if (Buffer.isBuffer(payload) && payload.length >= 16 && payload.readInt32BE(8) === 9 && payload.readInt16BE(6) === 2) page.zlibBatches++;
      }));
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      cdp.on('Network.webSocketHandshakeResponseReceived', ({response}) => {
        for (const [k, v] of Object.entries(response.headers)) if (k.toLowerCase() === 'sec-websocket-extensions') page.extensions = v;
      });
      await page.goto(`${base}/?room=${encodeURIComponent(room)}${query}`);
      await page.waitForSelector('#status[data-state="open"]', {timeout: 10000});
      await page.waitForFunction(() => /^\d+$/.test(document.getElementById('online').textContent), null, {timeout: 10000});
      return page;
    };
    const [p1, p2, p3] = [await open('live://1000'), await open('live://1000'), await open('live://2000')];
    check(true, 'three pages connected over WebSocket and showed an online count');

    const comments = (page) => page.$$eval('#stage .comment', (els) => els.map((e) => e.textContent));
    const send = async (page, text) => {
      await page.fill('#text', text);
      await page.press('#text', 'Enter');
    };
    const shows = (page, text, timeout = 5000) =>
      page.waitForFunction((t) => [...document.querySelectorAll('#stage .comment')].some((e) => e.textContent === t),
                           text, {timeout});

    // Markup in a comment must come out as text.
    const hello = `hello <b>bold</b> & <img src=x onerror=alert(1)> ${Date.now()}`;
    await send(p1, hello);
    await shows(p2, hello);
    check(true, 'page 2 shows page 1\'s comment (same room)');
    await shows(p1, hello);
    check(await p2.$$eval('#stage .comment b, #stage .comment img', (els) => els.length) === 0,
          'the comment is rendered as text, not HTML');

    // Page 3 proves it is live by seeing its own comment; it must never have seen page 1's.
    const other = `other room ${Date.now()}`;
    await send(p3, other);
    await shows(p3, other);
    check(!(await comments(p3)).includes(hello), 'page 3 (live://2000) did not get the live://1000 comment');
    check(!(await comments(p2)).includes(other), 'page 2 did not get the live://2000 comment');

    // Room change (op 12): page 3 joins live://1000 and sees the next comment there.
    await p3.fill('#room', 'live://1000');
    await p3.click('#join');
    await p3.waitForSelector('#room[data-joined="live://1000"]', {timeout: 5000});  // op 13 came back
    const moved = `after room change ${Date.now()}`;
    await send(p2, moved);
    await shows(p3, moved);
    check(true, 'page 3 joined live://1000 with op 12 and got its comments');

    // The online count comes from heartbeat replies; joining sends one. Three pages are in
    // live://1000 now (the comet reports counts every 200 ms here).
    // The comet learns the count from its own report cycle, so ask again until it is current.
    let online = '';
    for (const until = Date.now() + 10000; online !== '3' && Date.now() < until;) {
      await p2.click('#join');
      online = await p2.waitForFunction(() => document.getElementById('online').textContent === '3', null, {timeout: 500})
        .then(() => '3', async () => p2.textContent('#online'));
    }
    if (online !== '3') throw new Error('online count: want 3, page 2 shows ' + online);
    check(true, 'the online count of live://1000 reads 3 on page 2');

    // Compression. Chromium offers permessage-deflate and the comet accepts it; the page asks for
    // zlib batches (it has DecompressionStream). Ten comments pushed at once reach the room as one
    // batch: page 1 gets it as an OpRaw of version 2, a page opened with ?compress=none as a
    // permessage-deflate message (the comet counts it); both show all ten.
    const agreed = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
    check(p1.extensions === agreed, `permessage-deflate negotiated with Chromium: ${p1.extensions}`);
    const p4 = await open('live://1000', '&compress=none');
    check(p4.extensions === agreed, 'permessage-deflate negotiated on the ?compress=none page too');
    const metric = async (name) => {
      const line = (await (await fetch(base + '/metrics')).text()).split('\n').find((l) => l.startsWith(name + ' '));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const deflated = 'goim_comet_push_compressed_total{encoding="deflate-ws"}';
    const [zlib0, deflated0] = [p1.zlibBatches, await metric(deflated)];
    const batch = Array.from({length: 10}, (_, i) => `batched comment ${i} of ten, pushed at once ${Date.now()}`);
    const replies = await Promise.all(batch.map((t) => fetch(`${base}/goim/push/room?operation=1000&type=live&room=1000`,
                                                              {method: 'POST', body: t, headers: {'X-Goim-Key': 'browser-test-key'}}).then((r) => r.json())));
    check(replies.every((j) => j.code === 0), 'ten comments pushed at once');
    for (const t of batch) {
      await shows(p1, t);
      await shows(p4, t);
    }
    check(true, 'page 1 (zlib) and page 4 (permessage-deflate only) show all ten');
    check(p1.zlibBatches > zlib0, `page 1 received the batch as zlib (version-2 OpRaw): ${p1.zlibBatches - zlib0}`);
    check(p4.zlibBatches === 0, 'page 4 did not ask for zlib and got none');
    check(await metric(deflated) > deflated0, 'the comet sent page 4 the batch deflated (' + deflated + ')');

    // The server's limits, answered in the op-4 echo and shown beside the input: the rate (a
    // burst of seven submits at once; logic's bucket holds five a mid), then the length.
    await p1.evaluate(() => {
      const text = document.getElementById('text'), form = document.getElementById('send');
      for (let i = 0; i < 7; i++) {
        text.value = `burst ${i}`;
        form.requestSubmit();
      }
    });
    await p1.waitForFunction(() => /slow down/.test(document.getElementById('note').textContent), null, {timeout: 5000});
    check(true, 'a burst of comments is refused by logic\'s rate limit, shown beside the input');
    // Answered after the burst (one connection's sends are handled in order), so every pushed
    // comment of the burst is on the queue before page 2's marker below.
    const outcome = await p1.evaluate(() => client.send('é'.repeat(101)));  // 202 bytes of UTF-8
    check(outcome.ok === false && outcome.code === -413 && /over the limit/.test(outcome.message),
          `send() resolves with the length refusal: ${JSON.stringify(outcome)}`);
    const marker = `after the burst ${Date.now()}`;
    await send(p2, marker);
    await shows(p2, marker);
    const seen = await comments(p2);
    check(seen.includes('burst 0') && !seen.includes('burst 6'),
          'page 2 got the burst\'s first comment, not its refused last one');
    await p1.evaluate(() => {
      document.getElementById('text').value = 'ü'.repeat(101);
      document.getElementById('send').requestSubmit();
    });
    await p1.waitForFunction(() => /over the limit/.test(document.getElementById('note').textContent), null, {timeout: 5000});
    check(true, 'an over-long comment is refused, shown beside the input');
    const push = await p1.evaluate(async () => (await fetch('/goim/push/room?operation=1000&type=live&room=1000', {method: 'POST', body: 'x'})).status);
    check(push === 401, `the push API refuses the browser without the API key (${push}); the page sends over its connection`);

    // Room history: a page opened after 20 pushes shows them, marked as earlier; stopped and
    // started again (goim.js keeps its last offset and epoch) it recovers the 5 pushed meanwhile,
    // each once, then gets live ones.
    const pushTo = async (room, texts) => {
      for (const t of texts) {
        const j = await (await fetch(`${base}/goim/push/room?operation=1000&type=live&room=${room}`,
                                     {method: 'POST', body: t, headers: {'X-Goim-Key': 'browser-test-key'}})).json();
        if (j.code !== 0) throw new Error('push: ' + JSON.stringify(j));
      }
    };
    const early = Array.from({length: 20}, (_, i) => `earlier ${i} ${Date.now()}`);
    await pushTo(3000, early);
    // job appends before it sends: once the room's history holds all 20, the page will get them.
    const histOf = async () => (await (await fetch(`${base}/goim/history/room?type=live&room=3000&limit=100`,
                                                   {headers: {'X-Goim-Key': 'browser-test-key'}})).json());
    for (const until = Date.now() + 10000; (await histOf()).data.offset < 20;) {
      if (Date.now() > until) throw new Error('the 20 pushes did not reach the history');
    }
    const p5 = await open('live://3000');
    await p5.waitForFunction(() => document.getElementById('earlier').textContent === '20', null, {timeout: 10000});
    const earlierShown = (page, text, timeout = 15000) =>
      page.waitForFunction((t) => [...document.querySelectorAll('#stage .comment.earlier')].some((e) => e.textContent === t),
                           text, {timeout});
    await earlierShown(p5, early[0]);
    await earlierShown(p5, early[19]);
    check(true, 'a page opened after 20 pushes shows all 20, marked as earlier');
    const before = await p5.evaluate(() => ({offset: client.offset, epoch: client.epoch}));
    check(before.offset === 20 && before.epoch !== '', `goim.js is at offset 20 of epoch ${before.epoch}`);
    await p5.evaluate(() => client.stop());
    const missed = Array.from({length: 5}, (_, i) => `missed ${i} ${Date.now()}`);
    await pushTo(3000, missed);
    await p5.evaluate(() => client.start());
    await p5.waitForSelector('#status[data-state="open"]', {timeout: 10000});
    await p5.waitForFunction(() => document.getElementById('received').textContent === '25', null, {timeout: 10000});
    check(await p5.getAttribute('#status', 'data-recovered') === 'true', 'the reconnect recovered (op 8 recovered:true)');
    const live = `live after recovery ${Date.now()}`;
    await pushTo(3000, [live]);
    await shows(p5, live);
    check(await p5.textContent('#received') === '26', 'the 5 missed came once each, then the live one (26 in all)');
    check(await p5.evaluate(() => client.offset) === 26, 'goim.js is at offset 26');
    await p5.close();

    // Reconnect: the server goes away and comes back on the same ports; both pages find it again
    // (backoff from /goim/nodes/weighted, or 1 s while logic is down) and re-join their room.
    await stop(server);
    await p1.waitForSelector('#status:not([data-state="open"])', {timeout: 5000});
    check(true, 'page 1 shows the connection lost');
    server = start();
    await waitHttp(base + '/', 15000);
    await p1.waitForSelector('#status[data-state="open"]', {timeout: 20000});
    await p2.waitForSelector('#status[data-state="open"]', {timeout: 20000});
    const again = `after reconnect ${Date.now()}`;
    await send(p2, again);
    await shows(p1, again);
    check(true, 'both pages reconnected to the restarted server and page 1 got page 2\'s comment');

    fs.mkdirSync(path.dirname(screenshot), {recursive: true});
    await send(p2, 'danmaku from goim-cpp: ünïcode ✓');
    await shows(p1, 'danmaku from goim-cpp: ünïcode ✓');
    await p1.waitForTimeout(2500);  // comments mid-flight
    await (await p1.$('main')).screenshot({path: screenshot});
    check(fs.statSync(screenshot).size > 0, 'screenshot written to ' + screenshot);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stop(server);
  }
  fs.rmSync(dir, {recursive: true, force: true});
}

main().then(() => { console.log('PASSED'); process.exit(0); },
            (e) => { console.log('FAILED: ' + e.message); process.exit(1); });
