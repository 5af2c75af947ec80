#include "pkg/net/listen.h"

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <stdexcept>

namespace goim::net {

tcp::endpoint ParseEndpoint(const std::string& addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("address '" + addr + "' has no port");
  std::string host = addr.substr(0, colon);
  std::string port_s = addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_s, &used);
    if (used != port_s.size()) port = -1;
  } catch (...) {
  }
  if (port < 0 || port > 65535)
    throw std::invalid_argument("address '" + addr + "' has a bad port");
  boost::system::error_code ec;
  asio::ip::address ip = host.empty() || host == "0.0.0.0" ? asio::ip::address_v4::any()
                                                           : asio::ip::make_address(host, ec);
  if (ec) {
    if (host == "localhost")
      ip = asio::ip::address_v4::loopback();
    else
      throw std::invalid_argument("address '" + addr + "' has a bad host");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::string ToString(const tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

std::unique_ptr<tcp::acceptor> Listen(asio::io_context& io, const tcp::endpoint& ep,
                                      bool reuseport) {
  auto acc = std::make_unique<tcp::acceptor>(io);
  acc->open(ep.protocol());
  acc->set_option(asio::socket_base::reuse_address(true));
  if (reuseport) {
    int one = 1;
    if (::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      throw boost::system::system_error(errno, boost::system::system_category(), "SO_REUSEPORT");
    }
  }
  acc->bind(ep);
  acc->listen(asio::socket_base::max_listen_connections);
  return acc;
}

std::vector<std::unique_ptr<tcp::acceptor>> ListenAll(const std::vector<asio::io_context*>& ios,
                                                      const std::string& addr) {
  tcp::endpoint ep = ParseEndpoint(addr);
  if (ios.size() > 1 && ep.port() != 0) {
    // SO_REUSEPORT would let this process share a port another process of the same user already
    // listens on (a second comet started by mistake), the kernel splitting connections between
    // them. A plain bind first fails on such a port, as goim's would.
    tcp::acceptor probe(*ios.front());
    probe.open(ep.protocol());
    probe.set_option(asio::socket_base::reuse_address(true));
    probe.bind(ep);  // throws "Address already in use"
    probe.close();
  }
  std::vector<std::unique_ptr<tcp::acceptor>> out;
  for (asio::io_context* io : ios) {
    out.push_back(Listen(*io, ep, ios.size() > 1));
    if (ep.port() == 0) ep.port(out.back()->local_endpoint().port());
  }
  return out;
}

}  // namespace goim::net
