// net::UnaryCall: one asynchronous gRPC unary call on the callback API, as every client here makes
// it: the call's state (context, request, reply) lives on the heap until the completion, the
// deadline starts when the call goes out, a (re)starting server is waited for within it, and an
// optional InFlight counts the call until its completion has returned. Header-only: goim_pkg
// does not link gRPC.
//
//   net::UnaryCall(stub->async(), &Logic::Stub::async::Connect, std::move(req), opts,
//                  [](const grpc::Status& st, ConnectReply& reply) { ... });
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <type_traits>

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "pkg/net/in_flight.h"

namespace goim::net {

struct CallOptions {
  std::chrono::milliseconds timeout{1000};
  bool wait_for_ready = true;  // false: fail at once when the server cannot be reached
  InFlight* inflight = nullptr;
};

// A stub's callback-API method, e.g. &goim::logic::Logic::Stub::async::Connect.
template <class Async, class Req, class Reply>
using AsyncMethod = void (Async::*)(grpc::ClientContext*, const Req*, Reply*,
                                    std::function<void(grpc::Status)>);

namespace detail {

template <class Req, class Reply>
struct CallState {
  grpc::ClientContext ctx;
  Req owned;
  std::shared_ptr<const Req> shared;
  Reply reply;
};

template <class Async, class Req, class Reply, class Done>
void Start(Async* async, AsyncMethod<Async, Req, Reply> method,
           std::unique_ptr<CallState<Req, Reply>> s, const Req* req, const CallOptions& o,
           Done done) {
  s->ctx.set_deadline(std::chrono::system_clock::now() + o.timeout);
  s->ctx.set_wait_for_ready(o.wait_for_ready);
  if (o.inflight) o.inflight->Begin();
  auto* state = s.release();
  (async->*method)(&state->ctx, req, &state->reply,
                   [state, inflight = o.inflight, done = std::move(done)](grpc::Status st) mutable {
                     Reply reply = std::move(state->reply);
                     // The context goes before done runs: done may let its waiter tear the
                     // channel down.
                     delete state;
                     done(static_cast<const grpc::Status&>(st), reply);
                     if (inflight) inflight->End();
                   });
}

}  // namespace detail

// Calls method(req). done(const grpc::Status&, Reply&) runs once, on a gRPC thread; it must not
// destroy the owner of o.inflight (that owner waits for it).
template <class Async, class Req, class Reply, class Done>
void UnaryCall(Async* async, AsyncMethod<Async, Req, Reply> method, std::type_identity_t<Req> req,
               const CallOptions& o, Done done) {
  auto s = std::make_unique<detail::CallState<Req, Reply>>();
  s->owned = std::move(req);
  const Req* r = &s->owned;
  detail::Start(async, method, std::move(s), r, o, std::move(done));
}

// The same with a request shared by several calls (a fan-out, or retries); it is kept alive
// until the call completes.
template <class Async, class Req, class Reply, class Done>
void UnaryCall(Async* async, AsyncMethod<Async, Req, Reply> method, std::shared_ptr<const Req> req,
               const CallOptions& o, Done done) {
  auto s = std::make_unique<detail::CallState<Req, Reply>>();
  s->shared = std::move(req);
  const Req* r = s->shared.get();
  detail::Start(async, method, std::move(s), r, o, std::move(done));
}

}  // namespace goim::net
