#include "pkg/discovery/bilibili_client.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "pkg/net/asio.h"
#include "pkg/net/url.h"

namespace goim::discovery {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// One request on a loop of its own, run by the calling thread; Cancel posts the close to it.
struct BilibiliClient::Call {
  asio::io_context io{1};
  beast::tcp_stream stream{io};
  tcp::resolver resolver{io};
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  beast::error_code ec;
  const char* step = "resolve";
};

std::string EncodeForm(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += net::PercentEncode(k) + "=" + net::PercentEncode(v);
  }
  return out;
}

BilibiliClient::BilibiliClient(std::vector<std::string> nodes) : nodes_(std::move(nodes)) {}

BilibiliClient::~BilibiliClient() = default;

std::string BilibiliClient::nodes() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + n;
  return out;
}

BilibiliReply BilibiliClient::Post(const std::string& path, const Params& params,
                                   std::chrono::milliseconds timeout) {
  return Do("POST", path, params, timeout);
}

BilibiliReply BilibiliClient::Get(const std::string& path, const Params& params,
                                  std::chrono::milliseconds timeout) {
  return Do("GET", path, params, timeout);
}

void BilibiliClient::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (!call_) return;
  Call* c = call_;
  // Runs on the call's own thread, inside its io.run(); the call clears call_ (under mu_) before
  // it is destroyed, so c is alive here.
  asio::post(c->io, [c] {
    beast::error_code ignored;
    c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c->stream.close();
  });
}

BilibiliReply BilibiliClient::Do(const std::string& method, const std::string& path,
                                 const Params& params, std::chrono::milliseconds timeout) {
  BilibiliReply out;
  if (nodes_.empty()) return out.error = "no discovery nodes configured", out;
  out.node = nodes_[next_.load() % nodes_.size()];
  Call c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return out.error = "cancelled", out;
    call_ = &c;
  }
  size_t colon = out.node.rfind(':');
  std::string host = out.node.substr(0, colon), port = out.node.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string body = EncodeForm(params);
  c.req = http::request<http::string_body>(
      method == "POST" ? http::verb::post : http::verb::get,
      method == "POST" || body.empty() ? path : path + "?" + body, 11);
  c.req.set(http::field::host, out.node);
  c.req.keep_alive(false);
  if (method == "POST") {
    c.req.set(http::field::content_type, "application/x-www-form-urlencoded");
    c.req.body() = std::move(body);
  }
  c.req.prepare_payload();
  c.stream.expires_after(timeout);
  c.resolver.async_resolve(host, port, [&c](beast::error_code ec, tcp::resolver::results_type r) {
    if (ec) return void(c.ec = ec);
    c.step = "connect";
    c.stream.async_connect(r, [&c](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return void(c.ec = ec);
      c.step = "write";
      http::async_write(c.stream, c.req, [&c](beast::error_code ec, size_t) {
        if (ec) return void(c.ec = ec);
        c.step = "read";
        http::async_read(c.stream, c.buf, c.res, [&c](beast::error_code ec, size_t) { c.ec = ec; });
      });
    });
  });
  c.io.run();
  bool cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    call_ = nullptr;
    cancelled = cancelled_;
  }
  if (cancelled) return out.error = "cancelled", out;
  if (c.ec) {
    out.error =
        std::string(c.step) + ": " + (c.ec == beast::error::timeout ? "timed out" : c.ec.message());
  } else if (c.res.result_int() != 200) {
    out.error = "HTTP " + std::to_string(c.res.result_int());
  } else {
    json::Json v;
    std::string err;
    if (!json::Parse(c.res.body(), &v, &err)) {
      out.error = "answer is not JSON: " + err;
    } else if (!v.is_object() || !v.contains("code") || !v["code"].is_number_integer()) {
      out.error = "answer has no integer code";
    } else {
      out.answered = true;
      out.code = v["code"].get<int64_t>();
      out.data = v.contains("data") ? json::Dump(v["data"]) : "null";
      auto err = v.find("error");
      if (err != v.end() && err->is_object()) {
        auto miss = err->find("-404");
        if (miss != err->end() && miss->is_array()) {
          for (const auto& app : *miss)
            if (app.is_string()) out.missing.push_back(app.get<std::string>());
        }
      }
    }
  }
  if (!out.answered) next_.fetch_add(1);  // the SDK's switchNode
  return out;
}

}  // namespace goim::discovery
