#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/strings/strings.h"

namespace goim::strings {
namespace {

using Views = std::vector<std::string_view>;
using Strings = std::vector<std::string>;

TEST(Strings, SplitKeepsEmptyPiecesAsGo) {
  EXPECT_EQ(Split("1000,1001", ','), (Views{"1000", "1001"}));
  EXPECT_EQ(Split("", ','), (Views{""}));
  EXPECT_EQ(Split("a,,b,", ','), (Views{"a", "", "b", ""}));
}

TEST(Strings, SplitNonEmptyDropsEmptyPieces) {
  EXPECT_EQ(SplitNonEmpty("a,,b,", ','), (Strings{"a", "b"}));
  EXPECT_EQ(SplitNonEmpty(",", ','), Strings{});
  EXPECT_EQ(SplitNonEmpty("127.0.0.1:3109", ','), (Strings{"127.0.0.1:3109"}));
}

TEST(Strings, LowerTouchesAsciiLettersOnly) {
  EXPECT_EQ(Lower("X-Goim-Key"), "x-goim-key");
  EXPECT_EQ(Lower("HTTPS://Ex.COM:8080"), "https://ex.com:8080");
  EXPECT_EQ(Lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // not ASCII: kept
}

}  // namespace
}  // namespace goim::strings
