#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "pkg/bufio/reader.h"

namespace goim::bufio {
namespace {

// Bytes arriving in short reads, as the event loop commits them.
void Feed(Reader& r, std::string_view data) {
  auto tail = r.WritableTail();
  ASSERT_GE(tail.size(), data.size());
  std::memcpy(tail.data(), data.data(), data.size());
  r.Commit(data.size());
}

TEST(Reader, PeekPopDiscardAcrossShortReads) {
  uint8_t mem[16];
  Reader r({mem, sizeof(mem)});
  const uint8_t* p;
  Feed(r, "abc");
  EXPECT_EQ(r.Peek(5, &p), Status::kNeedMore);
  Feed(r, "defghij");
  ASSERT_EQ(r.Peek(5, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 5), "abcde");
  ASSERT_EQ(r.Pop(5, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 5), "abcde");
  EXPECT_EQ(r.Discard(6), Status::kNeedMore);  // only 5 buffered: nothing consumed
  EXPECT_EQ(r.Buffered(), 5u);
  ASSERT_EQ(r.Discard(4), Status::kOk);
  Feed(r, "klmnopqrstuvwxy");  // compacts first: the tail was short
  ASSERT_EQ(r.Pop(16, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 16), "jklmnopqrstuvwxy");
  EXPECT_EQ(r.Peek(1, &p), Status::kNeedMore);
}

TEST(Reader, RequestLargerThanBufferIsBufferFull) {
  uint8_t mem[8];
  Reader r({mem, sizeof(mem)});
  Feed(r, "xxxxxxxx");
  const uint8_t* p;
  EXPECT_EQ(r.Peek(9, &p), Status::kBufferFull);
  EXPECT_EQ(r.Peek(8, &p), Status::kOk);
}

TEST(Reader, SourcelessReaderAnswersNeedMoreUntilCommitted) {
  uint8_t mem[32];
  Reader r({mem, sizeof(mem)});
  const uint8_t* p;
  EXPECT_EQ(r.Peek(4, &p), Status::kNeedMore);
  auto tail = r.WritableTail();
  ASSERT_GE(tail.size(), 3u);
  std::memcpy(tail.data(), "abc", 3);
  r.Commit(3);
  EXPECT_EQ(r.Peek(4, &p), Status::kNeedMore);
  tail = r.WritableTail();
  tail[0] = 'd';
  r.Commit(1);
  ASSERT_EQ(r.Pop(4, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 4), "abcd");
  EXPECT_EQ(r.Buffered(), 0u);
  EXPECT_EQ(r.WritableTail().size(), sizeof(mem));  // empty reader rewinds
}

}  // namespace
}  // namespace goim::bufio
