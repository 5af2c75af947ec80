// WebSocket conformance of the comet, checked with an independent client: the npm package `ws`
// (which also checks every frame the server sends) against a real goim-standalone on free ports.
// Registered in ctest as `websocket_ws`.
//
//   node test/websocket/ws_conformance_test.js <goim-standalone>
//
// Covered: auth (op 7 -> 8), a goim heartbeat, ping/pong, a fragmented binary message, a goim
// frame in a text message, a pushed batch (OpRaw), the close handshake (RFC 6455 5.5.1), and
// protocol violations that must fail the connection with a Close frame 1002 (RFC 6455 5.1, 5.2,
// 5.5, 7.1.7): an unmasked client frame, a reserved opcode, RSV bits without an extension, and a
// ping with a 126-byte payload. Violations are written onto the ws client's own socket, so `ws`
// parses the server's answer.
//
// Exit 0 = passed, 1 = failed, 77 = skipped (the reason is printed): ctest reports 77 as skipped.
// ws comes from $GOIM_CACHE_DIR/ws (scripts/setup.sh installs it there).
'use strict';
const {spawn} = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const SKIP = 77;
const [standaloneBin] = process.argv.slice(2);
if (!standaloneBin) {
  console.error('usage: ws_conformance_test.js <goim-standalone>');
  process.exit(2);
}

function skip(reason) {
  console.log('SKIPPED: ' + reason);
  process.exit(SKIP);
}

const cache = process.env.GOIM_CACHE_DIR || path.join(os.homedir(), '.cache', 'goim-cpp');
let WebSocket;
try {
  WebSocket = require(path.join(cache, 'ws', 'node_modules', 'ws'));
} catch (e) {
  skip('ws is not installed in ' + cache + '/ws (run scripts/setup.sh): ' + e.message);
}

const OP = {HEARTBEAT: 2, HEARTBEAT_REPLY: 3, AUTH: 7, AUTH_REPLY: 8, RAW: 9};
const STEP_MS = 5000;

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
      if (r.status < 500) return;
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no answer from ' + url + ' within ' + deadlineMs + ' ms');
}

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok - ' + what);
}

function withTimeout(promise, what, ms = STEP_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// A goim frame: packLen, headerLen 16, ver 1, op, seq, body.
function frame(op, seq, body = Buffer.alloc(0)) {
  const b = Buffer.alloc(16 + body.length);
  b.writeInt32BE(16 + body.length, 0);
  b.writeInt16BE(16, 4);
  b.writeInt16BE(1, 6);
  b.writeInt32BE(op, 8);
  b.writeInt32BE(seq, 12);
  body.copy(b, 16);
  return b;
}

// The goim frames of one message (an OpRaw's inner frames come out one by one).
function parseFrames(buf) {
  const out = [];
  for (let at = 0; at + 16 <= buf.length;) {
    const len = buf.readInt32BE(at);
    if (len < 16 || at + len > buf.length) throw new Error('bad goim frame in a server message');
    const f = {op: buf.readInt32BE(at + 8), seq: buf.readInt32BE(at + 12), body: buf.subarray(at + 16, at + len)};
    if (f.op === OP.RAW) out.push(...parseFrames(f.body).map((g) => ({...g, raw: true})));
    else out.push(f);
    at += len;
  }
  return out;
}

// A connected client that records every goim frame, ws error and the close it saw.
class Client {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.frames = [];
    this.binaryOnly = true;
    this.errors = [];
    this.waiters = [];
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.binaryOnly = false;
      this.frames.push(...parseFrames(Buffer.from(data)));
      this.poke();
    });
    this.ws.on('error', (e) => { this.errors.push(e.message); this.poke(); });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => {
      resolve({code, reason: reason.toString()});
    }));
  }
  open() { return withTimeout(new Promise((resolve, reject) => {
    this.ws.once('open', resolve);
    this.ws.once('error', reject);
  }), 'open'); }
  poke() { for (const w of this.waiters.splice(0)) w(); }
  // Resolves with the first recorded frame matching pred (removed from the record).
  next(pred, what) {
    return withTimeout(new Promise((resolve) => {
      const look = () => {
        const i = this.frames.findIndex(pred);
        if (i >= 0) return resolve(this.frames.splice(i, 1)[0]);
        this.waiters.push(look);
      };
      look();
    }), what);
  }
  async auth(mid, room) {
    const token = JSON.stringify({mid, key: '', room_id: room, platform: 'web', accepts: [1000]});
    this.ws.send(frame(OP.AUTH, 1, Buffer.from(token)));
    return this.next((f) => f.op === OP.AUTH_REPLY, 'auth reply');
  }
}

// A masked client frame with any first byte: for the violations ws itself would never send.
function rawFrame(b0, payload, {masked = true} = {}) {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([b0, (masked ? 0x80 : 0) | len])
                         : Buffer.from([b0, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  if (!masked) return Buffer.concat([head, payload]);
  const body = Buffer.from(payload.map((x, i) => x ^ mask[i & 3]));
  return Buffer.concat([head, mask, body]);
}

async function main() {
  const [http, wsPort, tcp, cometGrpc, logicGrpc, routerGrpc] = await Promise.all(Array.from({length: 6}, freePort));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goim-ws-'));
  const conf = path.join(dir, 'standalone.yaml');
  const a = (p) => `"127.0.0.1:${p}"`;
  fs.writeFileSync(conf, [
    'env: {host: "standalone", addrs: ["127.0.0.1"]}',
    'router:', `  rpcServer: {addr: ${a(routerGrpc)}}`, '  metrics: {addr: ""}',
    'logic:', `  rpcServer: {addr: ${a(logicGrpc)}}`, `  httpServer: {addr: ${a(http)}}`,
    `  node: {hostDomain: "", wsPort: ${wsPort}, tcpPort: ${tcp}}`,
    'comet:', `  rpcServer: {addr: ${a(cometGrpc)}}`, `  tcp: {bind: [${a(tcp)}]}`, `  websocket: {bind: [${a(wsPort)}]}`,
    '  metrics: {addr: ""}',
    'job:', '  metrics: {addr: ""}', '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'standalone.log'), 'a');
  const server = spawn(standaloneBin, ['-conf', conf], {stdio: ['ignore', log, log]});
  const base = `http://127.0.0.1:${http}`;
  const url = `ws://127.0.0.1:${wsPort}/sub`;
  let ok = false;
  try {
    await waitHttp(base + '/metrics', 15000);

    // Auth, a goim heartbeat, ping/pong.
    const c = new Client(url);
    await c.open();
    const auth = await c.auth(1, 'live://ws');
    check(auth.seq === 1, 'auth: op 8 answers op 7 with its seq');
    c.ws.send(frame(OP.HEARTBEAT, 2));
    check((await c.next((f) => f.op === OP.HEARTBEAT_REPLY, 'heartbeat reply')).seq === 2,
          'heartbeat: op 3 answers op 2');
    const pong = withTimeout(new Promise((r) => c.ws.once('pong', r)), 'pong');
    c.ws.ping(Buffer.from('are you there'));
    check((await pong).toString() === 'are you there', 'ping: a pong with the same payload');

    // A goim frame in three fragments of one binary message.
    const hb = frame(OP.HEARTBEAT, 3);
    c.ws.send(hb.subarray(0, 5), {binary: true, fin: false});
    c.ws.send(hb.subarray(5, 11), {binary: true, fin: false});
    c.ws.send(hb.subarray(11), {binary: true, fin: true});
    check((await c.next((f) => f.op === OP.HEARTBEAT_REPLY, 'fragmented heartbeat reply')).seq === 3,
          'a fragmented binary message is one goim frame');

    // A goim frame in a text message (goim reads either, UTF-8 or not); the replies are binary.
    c.ws.send(frame(OP.HEARTBEAT, 4).toString('latin1'), {binary: false});
    check((await c.next((f) => f.op === OP.HEARTBEAT_REPLY, 'text heartbeat reply')).seq === 4,
          'a goim frame in a text message is answered');
    c.ws.send(frame(OP.HEARTBEAT, 200), {binary: false});  // seq 200: a byte that is not UTF-8
    check((await c.next((f) => f.op === OP.HEARTBEAT_REPLY, 'text heartbeat reply')).seq === 200,
          'a goim frame in a text message that is not UTF-8 is answered too');

    // A pushed batch: five room pushes, all delivered in order inside OpRaw messages.
    const bodies = Array.from({length: 5}, (_, i) => `danmaku ${i} ${Date.now()}`);
    for (const b of bodies) {
      const r = await fetch(`${base}/goim/push/room?operation=1000&type=live&room=ws`, {method: 'POST', body: b});
      const j = await r.json();
      if (j.code !== 0) throw new Error('push refused: ' + JSON.stringify(j));
    }
    const got = [];
    for (let i = 0; i < bodies.length; i++) got.push(await c.next((f) => f.op === 1000, 'push ' + i));
    check(got.every((f, i) => f.body.toString() === bodies[i] && f.raw), 'five pushes arrive in order, in OpRaw batches');
    check(c.binaryOnly, 'every server message is binary');

    // The close handshake: our status code comes back in the server's Close frame.
    c.ws.close(4000, 'bye');
    const closed = await withTimeout(c.closed, 'close handshake');
    check(closed.code === 4000, `close handshake: the server echoed 4000 (ws saw ${closed.code})`);
    check(c.errors.length === 0, 'no ws error on the good connection: ' + JSON.stringify(c.errors));

    // Protocol violations: each fails the connection with a Close frame 1002.
    const payload = Buffer.from(frame(OP.HEARTBEAT, 9));
    const violations = [
      ['an unmasked client frame', rawFrame(0x82, payload, {masked: false})],
      ['a reserved opcode (3)', rawFrame(0x83, payload)],
      ['RSV1 without an extension', rawFrame(0xC2, payload)],
      ['a ping with a 126-byte payload', rawFrame(0x89, Buffer.alloc(126, 0x70))],
    ];
    for (const [what, bytes] of violations) {
      const v = new Client(url);
      await v.open();
      await v.auth(2, 'live://ws');
      v.ws._socket.write(bytes);
      const end = await withTimeout(v.closed, what);
      check(end.code === 1002, `${what}: failed with Close 1002 (ws saw ${end.code})`);
    }
    ok = true;
  } finally {
    if (server.exitCode === null) server.kill('SIGINT');
    await new Promise((r) => { if (server.exitCode !== null) r(); else server.on('exit', r); });
    if (ok) fs.rmSync(dir, {recursive: true, force: true});
    else console.log('standalone log: ' + path.join(dir, 'standalone.log'));
  }
}

main().then(() => { console.log('PASSED'); process.exit(0); },
            (e) => { console.log('FAILED: ' + e.message); process.exit(1); });
