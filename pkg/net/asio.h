// The Asio headers the project uses, in one place. (The -include utility compile flag covers
// Boost 1.74's missing <utility> in asio/awaitable.hpp under GCC 12.)
#pragma once

#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace goim {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
}  // namespace goim
