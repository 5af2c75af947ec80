// comet::Channel: one client connection (TCP, WebSocket or WSS), owned by one event loop for its
// whole life. Holds the goim state (identity, room membership through an intrusive list, watched
// ops), the client ring (cliProto slots: each client frame's reply waits in its slot until
// written), and the write side: a WriteQueue of shared push references and replies with at most
// one write in flight; whatever is queued when the socket can take more goes out in one
// gather-write. Reads use no buffer while idle: a pooled buffer is taken when bytes arrive and
// returned once every whole frame is consumed.
//
// The code follows a connection's life: channel.cc (start, auth, deadlines, close, in that
// order), ws_upgrade.cc (the WebSocket upgrade), channel_read.cc (frames in), operation.cc (what
// each frame does), channel_write.cc (replies and pushes out), channel_history.cc (room history,
// for connections that opted in at auth). [loop thread only]
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ssl/stream.hpp>

#include "api/logic.pb.h"
#include "comet/room.h"
#include "comet/write_queue.h"
#include "pkg/bufio/reader.h"
#include "pkg/bytes/pool.h"
#include "pkg/net/asio.h"
#include "pkg/protocol/frame.h"
#include "pkg/ring/ring.h"
#include "pkg/time/timer.h"
#include "pkg/websocket/message.h"

namespace goim::comet {

class Loop;

// Room history of a connection that opted in at auth (comet/channel_history.cc): what it asked,
// where it is in its room's history, and what is held while it is being positioned.
struct HistoryState {
  goim::logic::HistoryAsk ask;  // at auth; a change room asks for the last ask.last() again
  std::string epoch;            // the room's epoch it is in ("" when not known)
  int64_t offset = 0;           // the newest room offset it was sent (or positioned at)
  // Positioning: for the auth reply, or for the op-13 reply to a change room (its ver, seq, body).
  bool auth = true;
  int32_t ver = 0;
  int32_t seq = 0;
  std::string body;
  std::vector<LoopMsg*> held;  // pushes that came meanwhile (a reference each)
};

// When a session is next renewed at logic, as a range for a random draw: goim draws 10-30 min but
// renews only on the client heartbeat after that, which may come up to `heartbeat` (the server's
// heartbeat deadline) later, so a session could outlive router's 30 min TTL unrenewed and pushes
// to it would find nobody. The range ends `heartbeat` before max, so the renewal is never later
// than max (never earlier than min).
std::pair<time::Duration, time::Duration> LogicRenewalRange(time::Duration min, time::Duration max,
                                                            time::Duration heartbeat);

enum class Transport : uint8_t { kTcp, kWs, kWss };

enum class CloseReason : uint8_t {
  kPeerClosed,
  kIoError,
  kProtocol,
  kHandshakeTimeout,
  kHeartbeatTimeout,
  kAuthFailed,
  kKicked,
  kRingFull,
  kSlow,
  kPreAuthFlood,
  kWsClose,
  kShutdown,
  kHistoryOverflow,  // more than protocol.historyHold pushes came while positioning it
  kCount
};
const char* CloseReasonName(CloseReason r);

class Channel {
 public:
  Channel(Loop* loop, Transport t, tcp::socket sock, std::shared_ptr<asio::ssl::context> tls);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Arms the handshake deadline and starts reading (WebSocket: the HTTP upgrade first).
  void Start();
  // An authenticated channel on an already connected socket, without the auth exchange and
  // without logic: for benchmarks and tools that need many channels in a room. The caller has
  // Add()ed it to the loop. null_sink: writes are counted as done without a syscall (in-memory
  // channels, to measure the comet's own cost per delivery); compress as the auth's. [loop thread
  // only]
  void Adopt(int64_t mid, const std::string& key, const std::string& room,
             std::vector<int32_t> accepts, bool null_sink = false,
             const std::string& compress = "");
  // Idempotent. Leaves bucket and room, tells logic (when authenticated), frees the channel
  // once no I/O refers to it.
  void Close(CloseReason why);

  // Queues a push (the queue holds at most svrProto pushes; a full queue drops the newest push
  // and counts it). Returns whether it was queued.
  bool Push(LoopMsg* m);
  bool Watching(int32_t op) const;
  // Authenticated and open: takes pushes.
  bool ready() const {
    return state_ == State::kReady || state_ == State::kReceiving || state_ == State::kPositioning;
  }
  bool closed() const { return state_ == State::kClosed; }
  bool positioning() const { return state_ == State::kPositioning; }
  uint64_t id() const { return id_; }
  void set_id(uint64_t id) { id_ = id; }
  const std::string& key() const { return key_; }
  int64_t mid() const { return mid_; }
  Room* room() const { return room_; }

  // Called by the loop's flush pass: write what is queued.
  void Flush();

  // Room list hooks, used by Loop. [loop thread only]
  Channel* room_prev = nullptr;
  Channel* room_next = nullptr;
  bool dirty = false;  // in the loop's flush list

 private:
  friend class Loop;

  // A connection's states, in the order it goes through them (channel.cc follows this order).
  enum class State : uint8_t {
    kUpgrade,    // WebSocket: reading the HTTP upgrade (WSS: after the TLS handshake)
    kHandshake,  // waiting for the auth frame (goim's handshake)
    kAuthing,    // logic holds the auth frame; reading waits
    // Room history: registered and in its room, logic reads the history it asked for; the reply
    // (op 8, or op 13 to a change room) and the replay go out first, pushes are held meanwhile;
    // reading waits.
    kPositioning,
    kReady,      // authenticated: frames are operations, pushes are written
    kReceiving,  // ready, and a frame is with Logic.Receive; reading waits (frames stay in order)
    kClosing,    // WebSocket: a Close frame is queued; closed once it is written
    kClosed,
  };

  tcp::socket& raw();
  // --- life (channel.cc): start, auth, deadlines, close
  void StartAuth(protocol::Frame& f);
  void OnAuth(bool ok, const std::string& err, int64_t mid, std::string key, std::string room,
              std::vector<int32_t> accepts, int64_t heartbeat_ns, const std::string& compress,
              const goim::logic::HistoryAsk* history);
  // The auth's "compress" ("zlib", "brotli"): batches as bilibili's compressed OpRaw frames. It
  // takes precedence over permessage-deflate (a compressed frame does not deflate again). An
  // unknown value is counted and logged; the connection then gets goim's frames.
  void SetCompress(const std::string& compress);
  static void OnDeadline(void* self);
  static void OnSlow(void* self);
  // WebSocket: queues a Close frame with `code` (0: without a body) behind what is queued, then
  // Close(why) once it is written, or when the handshake timeout passes first. Nothing more is
  // read or pushed meanwhile (RFC 6455 5.5.1: the server closes the TCP connection first).
  void CloseWs(uint16_t code, CloseReason why);
  // Out of the bucket and the room, and the session at logic, once the channel is closing.
  void Unregister();
  void MaybeFree();
  // --- the WebSocket upgrade (ws_upgrade.cc)
  void StartUpgrade();
  // Parses the request once its header is buffered; false when the channel closed.
  bool ConsumeUpgrade();
  void RejectUpgrade(const char* status, const std::string& why);
  // The 101 (goim's bytes, plus the Sec-WebSocket-Extensions answer when permessage-deflate was
  // negotiated); the connection then reads frames.
  void AcceptUpgrade(const std::string& ws_key, const std::string& extensions);
  // The Sec-WebSocket-Extensions answer to the client's offers ("" for none): permessage-deflate
  // when websocket.deflate is on and an offer is valid.
  std::string NegotiateExtensions(const std::string& offers);
  // A compressed client message: inflated into the loop's buffer, within
  // websocket.maxInflatedSize; a bad one fails the connection (1009 too large, 1007 otherwise).
  bool Inflate(std::span<const uint8_t> in, std::span<const uint8_t>* out);
  // --- reading (channel_read.cc)
  void ReadNow();
  void WaitReadable();
  void OnReadError(const boost::system::error_code& ec);
  // Consumes whole frames from the reader; false when the channel closed.
  bool Consume();
  bool ConsumeTcp();
  bool ConsumeWs();
  // The one path for a malformed goim frame, from TCP or inside a WebSocket message: counted
  // as a protocol error, logged, closed. Returns false.
  bool BadFrame(protocol::Error e);
  // A WebSocket framing violation: counted as a WebSocket error, logged, closed. Returns false.
  bool BadWsFrame(websocket::FrameError e);
  void ReleaseReadBuffer();
  // Reading waits while logic holds the auth frame or a frame for Receive, and stops once a
  // Close frame is queued.
  bool Paused() const {
    return state_ == State::kAuthing || state_ == State::kReceiving ||
           state_ == State::kPositioning || state_ == State::kClosing;
  }
  // Whether the next buffered frame may be handled now.
  bool TakesFrames() const { return state_ == State::kHandshake || state_ == State::kReady; }
  // After logic answered: the frames buffered behind, then the socket.
  void Resume();
  // --- goim operations (operation.cc)
  bool HandleFrame(protocol::Frame& f);
  // A frame for logic: its reply and the connection's next frames wait for logic's answer.
  bool StartReceive(const protocol::Frame& f);
  void OnReceived(int32_t op, int32_t ver, int32_t seq, const std::string& body);
  // The next reply slot, or nullptr once the connection is closed for pipelining more frames
  // than the ring holds replies for (goim: ErrRingFull).
  Reply* ReplySlot();
  bool ReplyFrame(int32_t op, int32_t ver, int32_t seq, const std::string& body);
  bool ReplyHeart(int32_t ver, int32_t seq);
  bool ReplyPong(std::span<const uint8_t> payload);
  void ChangeRoom(const std::string& room);
  void Subscribe(const std::string& body, bool add);
  // Adds ops to the watched ones, at most protocol.maxWatchOps in all; the rest are ignored,
  // counted and logged.
  void Watch(std::span<const int32_t> ops);
  void MaybeLogicHeartbeat();
  time::TimePoint NextLogicRenewal() const;
  // --- room history (channel_history.cc)
  // The auth reply of an opted-in connection: at once when it is in no room, else after its
  // room's history was read (StartPositioning).
  void AuthWithHistory(const std::string& room);
  // Op 12 of an opted-in connection: joins, then positions it in the new room (op 13 waits).
  bool ChangeRoomWithHistory(const protocol::Frame& f);
  // Holds pushes, asks logic for the room's history; OnPositioned answers.
  void StartPositioning(const std::string& room);
  void OnPositioned(bool ok, goim::logic::HistoryReply& reply);
  // The reply (op 8 or 13) and a push of this connection's own: its position (op 18, after a
  // change room), the replay, the held pushes it had not had. false when it closed.
  bool FinishPositioning(const std::string& epoch, int64_t offset, bool recovered,
                         std::string frames, int32_t count);
  // A push to an opted-in connection: held while positioning, else the shared bytes when they
  // follow what it was sent, else bytes of its own (a new epoch, or frames it had).
  bool PushHistory(LoopMsg* m);
  // d's frames this connection has not had, after an op-18 notice when d is of another epoch.
  int32_t AppendFresh(const PushData& d, std::string* out);
  // Queues frames of this connection's own as a push (force: even over svrProto, by one).
  bool QueueOwn(std::string frames, int32_t count, bool force);
  void ReleaseHeld();
  // --- writing (channel_write.cc)
  // The push's shared bytes for this connection, within svrProto (else dropped and counted).
  bool PushShared(LoopMsg* m);
  // Queues a reply or a push reference; false when the channel closed meanwhile.
  bool Enqueue(WriteItem it);
  // Gives a written (or dropped) item back: the push reference, or the reply's ring slot.
  void ReleaseItem(const WriteItem& it);
  void BuildWrite(std::vector<asio::const_buffer>* iov, size_t* items, size_t* bytes);
  void WriteDone(size_t items);
  void WaitWritable();
  void TlsWrite();
  void CheckSlow();
  // Nothing left to write: the queue and the reply slots go (an idle connection holds neither);
  // a closing connection closes.
  void Drained();

  Loop* loop_;
  uint64_t id_ = 0;
  Transport transport_;
  State state_;
  CloseReason closing_ = CloseReason::kWsClose;  // kClosing: the reason Close will count
  tcp::socket sock_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  std::string ip_;
  std::string cookie_;

  // identity
  int64_t mid_ = 0;
  std::string key_;
  std::set<int32_t> watch_ops_;
  Room* room_ = nullptr;
  int32_t pre_auth_frames_ = 0;
  int32_t auth_seq_ = 0;
  int32_t auth_ver_ = 0;

  // timers
  time::TimerId deadline_;
  time::TimerId slow_timer_;
  time::Duration heartbeat_{};
  time::TimePoint logic_hb_due_{};

  // reading
  bytes::Buffer* rbuf_ = nullptr;
  bufio::Reader reader_;
  websocket::MessageReader ws_;

  // replies and writing
  ring::Ring<Reply> replies_;
  WriteQueue out_;
  std::string pending_;  // bytes of a write the socket took only part of
  size_t pending_off_ = 0;

  bool reading_ = false;  // an async read or readiness wait is outstanding
  bool writing_ = false;  // an async write or writability wait is outstanding
  bool freed_ = false;
  bool null_sink_ = false;
  Encoding enc_;  // which bytes of each push this connection gets (comet/push.h)
  std::unique_ptr<HistoryState> hist_;  // opted in to room history at auth
};

}  // namespace goim::comet
