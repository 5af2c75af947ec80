// goim.js: a browser client for goim's WebSocket protocol (goim v2 framing), one file, no build.
//
//   const c = new GoimClient({room: 'live://1000', mid: 42, compress: GoimClient.canInflate ? 'zlib' : ''});
//   c.onmessage = (op, body) => ...;   // body: Uint8Array of one pushed frame (OpRaw unpacked)
//   c.onstatus = (state, detail) => ...;  // 'connecting' | 'open' | 'waiting' | 'closed'
//   c.ononline = (n) => ...;           // the room's online count, from heartbeat replies
//   c.onroom = (room) => ...;          // the server moved this connection to room (op 13)
//   c.onposition = (p) => ...;         // room history: {epoch, offset, recovered} (op 8, op 18)
//   c.start(); c.changeRoom('live://2000'); c.stop();
//   const r = await c.send('hello');   // a danmaku to this connection's room (op 4):
//                                      // {ok: true} or {ok: false, code, message} (the refusal)
//
// Frames are binary WebSocket messages: packLen int32, headerLen int16 (16), ver int16, op int32,
// seq int32, body; all big-endian. One frame per message, except OpRaw (op 9), whose body holds
// many frames. With compress: 'zlib' (goim-cpp; the auth token asks for it) a large batch comes as
// an OpRaw of ver 2 whose body is zlib data: it is inflated (DecompressionStream 'deflate') before
// its frames are read, and the messages behind it wait, so pushes keep their order. The browser
// itself handles permessage-deflate, which goim-cpp's comet negotiates on its own. Where to connect comes from logic's GET /goim/nodes/weighted?platform=web (ports,
// node domains, heartbeat and reconnect backoff); a node name without a dot (a cluster without a
// host domain, as the standalone process) and a failed lookup both mean the page's own host.
//
// Room history (goim-cpp; options.history = N opts in): the auth token asks for the room's last N
// messages; the op-8 reply says where the connection is ({"epoch","offset","recovered"}), the
// replayed messages follow it, then live ones, each room message with its room offset in the
// frame's seq. onmessage's third argument is {offset, replay}: replay is true for the messages
// at or before the position the server gave (history, or what a reconnect recovered). After a
// reconnect the token names the last offset and epoch seen, so nothing pushed meanwhile is
// missed (recovered false: the server could not give it all, and sent the newest N instead).
(function (global) {
  'use strict';

  const OP = {
    HEARTBEAT: 2, HEARTBEAT_REPLY: 3, SEND_MSG: 4, AUTH: 7, AUTH_REPLY: 8, RAW: 9,
    CHANGE_ROOM: 12, CHANGE_ROOM_REPLY: 13, SUB: 14, SUB_REPLY: 15, UNSUB: 16, UNSUB_REPLY: 17,
    HISTORY_POSITION: 18,
  };
  const HEADER = 16;
  const VER_ZLIB = 2;  // an OpRaw whose body is zlib-compressed frames (bilibili's version 2)
  const REPLIES = new Set([OP.HEARTBEAT_REPLY, OP.AUTH_REPLY, OP.CHANGE_ROOM_REPLY, OP.SUB_REPLY, OP.UNSUB_REPLY]);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function encodeFrame(op, seq, body) {
    const bytes = typeof body === 'string' ? encoder.encode(body) : (body || new Uint8Array(0));
    const buf = new ArrayBuffer(HEADER + bytes.length);
    const v = new DataView(buf);
    v.setInt32(0, HEADER + bytes.length);
    v.setInt16(4, HEADER);
    v.setInt16(6, 1);
    v.setInt32(8, op);
    v.setInt32(12, seq);
    new Uint8Array(buf, HEADER).set(bytes);
    return buf;
  }

  // Calls fn(op, seq, body, ver) for each whole frame in bytes; returns false on a malformed frame.
  function decodeFrames(bytes, fn) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + HEADER <= bytes.length) {
      const packLen = v.getInt32(at), headerLen = v.getInt16(at + 4);
      if (headerLen !== HEADER || packLen < HEADER || at + packLen > bytes.length) return false;
      fn(v.getInt32(at + 8), v.getInt32(at + 12), bytes.subarray(at + HEADER, at + packLen), v.getInt16(at + 6));
      at += packLen;
    }
    return at === bytes.length;
  }

  // zlib data (RFC 1950) inflated: 'deflate' in the Compression Streams API is zlib's format.
  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  class GoimClient {
    // options: room ('live://1000'), mid (number), key (''), accepts ([1000, 1001, 1002]),
    // heartbeatMs (30000), logic (base URL of logic's HTTP API, default the page's origin),
    // wsPath ('/sub'), secure (default: page served over https), compress ('' or 'zlib': large
    // batches compressed; needs GoimClient.canInflate), history (-1: off; N >= 0: opt in to room
    // history, the last N messages at join).
    constructor(options) {
      this.opt = Object.assign({
        room: '', mid: 0, key: '', accepts: [1000, 1001, 1002], heartbeatMs: 30000,
        logic: '', wsPath: '/sub', secure: global.location && global.location.protocol === 'https:',
        compress: '', history: -1,
      }, options || {});
      if (this.opt.compress && this.opt.compress !== 'zlib') throw new Error('goim.js inflates zlib only');
      if (this.opt.compress && !GoimClient.canInflate) throw new Error('this browser has no DecompressionStream');
      this.room = this.opt.room;
      this.onmessage = () => {};
      this.onstatus = () => {};
      this.ononline = () => {};
      this.onroom = () => {};
      this.onposition = () => {};
      this.epoch = '';      // room history: the epoch and newest room offset seen
      this.offset = 0;
      this.replayUntil = 0;  // messages at or before this offset are replayed ones
      this.ws = null;
      this.seq = 0;
      this.retries = 0;
      this.stopped = true;
      this.heartbeatTimer = null;
      this.retryTimer = null;
      this.lastGood = null;  // the node that last accepted us
      this.inbox = Promise.resolve();  // messages are handled one after another
      this.pending = new Map();  // seq -> resolve of a send() waiting for its echo
    }

    start() {
      this.stopped = false;
      this._connect();
    }

    stop() {
      this.stopped = true;
      clearTimeout(this.retryTimer);
      clearInterval(this.heartbeatTimer);
      if (this.ws) this.ws.close();
      this.ws = null;
      this._settleAll('stopped');
      this.onstatus('closed', 'stopped');
    }

    // Moves this connection to another room (op 12; '' leaves every room; the room it is in: only
    // a heartbeat, for the online count). Kept across reconnects.
    changeRoom(room) {
      const same = room === this.room;
      this.room = room;
      if (same) {
        if (this._open()) this._send(OP.HEARTBEAT);  // a fresh online count, no move (nor replay)
      } else if (this._open()) {
        this._send(OP.CHANGE_ROOM, room);
        this._send(OP.HEARTBEAT);  // the reply carries the new room's online count
      }
    }

    // Adds (sub) or removes (unsub) push operations this connection accepts (op 14 / 16).
    sub(ops) { if (this._open()) this._send(OP.SUB, ops.join(',')); }
    unsub(ops) { if (this._open()) this._send(OP.UNSUB, ops.join(',')); }

    // Sends a danmaku over this connection (op 4); the server pushes it to the connection's room
    // and echoes op 4 with the same seq: an empty body when it was pushed, else
    // {"code":N,"message":".."} (-413 too long, -429 too fast, -403 refused, ...). Resolves with
    // {ok: true} or {ok: false, code, message}; code -1 when not connected or closed first.
    send(text) {
      if (!this._open()) return Promise.resolve({ok: false, code: -1, message: 'not connected'});
      const seq = ++this.seq;
      return new Promise((resolve) => {
        this.pending.set(seq, resolve);
        this.ws.send(encodeFrame(OP.SEND_MSG, seq, text));
      });
    }

    _settle(seq, body) {
      const resolve = this.pending.get(seq);
      this.pending.delete(seq);
      if (body.length === 0) return resolve({ok: true});
      const text = decoder.decode(body);
      try {
        const j = JSON.parse(text);
        resolve({ok: false, code: j.code, message: j.message});
      } catch (e) {
        resolve({ok: false, code: -1, message: text});
      }
    }

    _settleAll(why) {
      for (const resolve of this.pending.values()) resolve({ok: false, code: -1, message: why});
      this.pending.clear();
    }

    _open() { return this.ws && this.ws.readyState === 1 && this.authed; }

    _send(op, body) { this.ws.send(encodeFrame(op, ++this.seq, body)); }

    async _nodes() {
      try {
        const r = await fetch(this.opt.logic + '/goim/nodes/weighted?platform=web', {cache: 'no-store'});
        const j = await r.json();
        if (j.code === 0 && j.data) return j.data;
      } catch (e) { /* logic unreachable: fall back to the page's host */ }
      return null;
    }

    async _connect() {
      if (this.stopped) return;
      this.onstatus('connecting', '');
      const n = await this._nodes();
      this.backoff = (n && n.backoff) || {base_delay: 1, max_delay: 30, factor: 1.8, jitter: 0.3};
      const here = global.location ? global.location.hostname : '127.0.0.1';
      const port = this.opt.secure ? (n && n.wss_port) || 3103 : (n && n.ws_port) || 3102;
      const hosts = [];
      if (this.lastGood) hosts.push(this.lastGood);
      for (const node of (n && n.nodes) || []) hosts.push(node.includes('.') ? node : here);
      hosts.push(here);
      this._try([...new Set(hosts)], port);
    }

    // Tries each host in turn; when all fail, waits (backoff) and asks logic again.
    _try(hosts, port) {
      if (this.stopped) return;
      if (hosts.length === 0) return this._retry();
      const host = hosts[0];
      const url = (this.opt.secure ? 'wss://' : 'ws://') + (host.includes(':') ? '[' + host + ']' : host) + ':' + port + this.opt.wsPath;
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.authed = false;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        const token = {mid: this.opt.mid, room_id: this.room, platform: 'web', accepts: this.opt.accepts};
        if (this.opt.key) token.key = this.opt.key;
        if (this.opt.compress) token.compress = this.opt.compress;
        if (this.opt.history >= 0) {
          token.history = this.opt.history;
          if (this.epoch) Object.assign(token, {offset: this.offset, epoch: this.epoch});
        }
        this._send(OP.AUTH, JSON.stringify(token));
      };
      ws.onmessage = (ev) => {
        const bytes = new Uint8Array(ev.data);
        this.inbox = this.inbox.then(() => this._receive(host, ws, bytes));
      };
      ws.onclose = () => {
        if (this.ws !== ws) return;
        clearInterval(this.heartbeatTimer);
        this.ws = null;
        this._settleAll('connection closed');
        if (!opened) return this._try(hosts.slice(1), port);
        this._retry();
      };
    }

    _retry() {
      if (this.stopped) return;
      const b = this.backoff;
      let delay = Math.min(b.base_delay * Math.pow(b.factor, this.retries), b.max_delay);
      delay *= 1 + b.jitter * (Math.random() * 2 - 1);
      this.retries++;
      this.onstatus('waiting', Math.round(delay) + ' s');
      this.retryTimer = setTimeout(() => this._connect(), delay * 1000);
    }

    // One message: its frames in order; a compressed batch is inflated first.
    async _receive(host, ws, bytes) {
      const frames = [];
      if (!decodeFrames(bytes, (op, seq, body, ver) => frames.push({op, seq, body, ver}))) return this._misread(ws);
      for (const {op, seq, body, ver} of frames) {
        if (this.ws !== ws) return;  // reconnected meanwhile
        if (op === OP.AUTH_REPLY) {
          if (this.opt.history >= 0) this._position(body);
          this.authed = true;
          this.retries = 0;
          this.lastGood = host;
          this.onstatus('open', host);
          this._send(OP.HEARTBEAT);
          clearInterval(this.heartbeatTimer);
          this.heartbeatTimer = setInterval(() => { if (this._open()) this._send(OP.HEARTBEAT); }, this.opt.heartbeatMs);
        } else if (op === OP.CHANGE_ROOM_REPLY) {
          this.onroom(decoder.decode(body));
        } else if (op === OP.HISTORY_POSITION) {
          this._position(body);
        } else if (op === OP.HEARTBEAT_REPLY) {
          if (body.length >= 4) this.ononline(new DataView(body.buffer, body.byteOffset, 4).getInt32(0));
        } else if (op === OP.SEND_MSG && this.pending.has(seq)) {
          this._settle(seq, body);
        } else if (op === OP.RAW) {
          let inner = body;
          if (ver === VER_ZLIB) {
            try {
              inner = await inflate(body);
            } catch (e) {
              return this._misread(ws);
            }
            if (this.ws !== ws) return;
          } else if (ver > VER_ZLIB) {
            return this._misread(ws);  // a compression this client did not ask for
          }
          if (!decodeFrames(inner, (innerOp, innerSeq, innerBody) => this._message(innerOp, innerSeq, innerBody))) return this._misread(ws);
        } else if (!REPLIES.has(op)) {
          this._message(op, seq, body);
        }
      }
    }

    // Room history: where the server put this connection (op 8 or op 18 body); what follows up
    // to that offset is replayed.
    _position(body) {
      let p;
      try {
        p = JSON.parse(decoder.decode(body));
      } catch (e) {
        return;  // a server without history answers op 8 with an empty body
      }
      const continues = p.recovered && this.epoch && p.epoch === this.epoch;
      this.epoch = p.epoch || '';
      this.replayUntil = p.offset || 0;
      // Recovering what a reconnect missed: the replay moves this.offset along, so a drop in the
      // middle of it asks again from the last one seen. Otherwise (a join, or not recovered) the
      // replay is earlier context and the connection is at the position now.
      if (!continues) this.offset = this.replayUntil;
      this.onposition(p);
    }

    _message(op, seq, body) {
      if (this.opt.history < 0 || seq <= 0) return this.onmessage(op, body, {offset: 0, replay: false});
      this.offset = seq;
      this.onmessage(op, body, {offset: seq, replay: seq <= this.replayUntil});
    }

    // Not goim framing: reconnect rather than misread.
    _misread(ws) {
      if (this.ws === ws) ws.close();
    }
  }

  GoimClient.canInflate = typeof global.DecompressionStream === 'function';
  GoimClient.OP = OP;
  GoimClient.encodeFrame = encodeFrame;
  GoimClient.decodeFrames = decodeFrames;
  GoimClient.text = (body) => decoder.decode(body);
  global.GoimClient = GoimClient;
})(typeof window !== 'undefined' ? window : globalThis);
