#include <string>

#include <gtest/gtest.h>

#include "pkg/log/log.h"

namespace goim {
namespace {

TEST(Log, PrintableEscapesAndCutsClientValues) {
  EXPECT_EQ(log::Printable("live://1000"), "live://1000");
  EXPECT_EQ(log::Printable("a\nW1124 forged line"), "a\\x0aW1124 forged line");
  EXPECT_EQ(log::Printable(std::string("\x00\xff\\", 3)), "\\x00\\xff\\x5c");
  EXPECT_EQ(log::Printable(std::string(200, 'k'), 4), "kkkk...(200 bytes)");
}

}  // namespace
}  // namespace goim
