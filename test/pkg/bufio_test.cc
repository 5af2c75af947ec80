#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "pkg/bufio/reader.h"
#include "pkg/bufio/writer.h"
#include "pkg/bytes/pool.h"
#include "pkg/bytes/writer.h"

namespace goim::bufio {
namespace {

// A source handing out `data` at most `chunk` bytes per read.
Reader::Source ChunkSource(const std::string* data, size_t* pos, size_t chunk) {
  return [=](uint8_t* dst, size_t n) -> ssize_t {
    size_t k = std::min({n, chunk, data->size() - *pos});
    std::memcpy(dst, data->data() + *pos, k);
    *pos += k;
    return static_cast<ssize_t>(k);
  };
}

TEST(Reader, PeekPopDiscardAcrossShortReads) {
  std::string data = "abcdefghijklmnopqrstuvwxyz";
  size_t pos = 0;
  uint8_t mem[16];
  Reader r({mem, sizeof(mem)}, ChunkSource(&data, &pos, 3));
  const uint8_t* p;
  ASSERT_EQ(r.Peek(5, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 5), "abcde");
  ASSERT_EQ(r.Pop(5, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 5), "abcde");
  ASSERT_EQ(r.Discard(10), Status::kOk);
  ASSERT_EQ(r.Pop(11, &p), Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), 11), "pqrstuvwxyz");
  EXPECT_EQ(r.Peek(1, &p), Status::kEof);
}

TEST(Reader, RequestLargerThanBufferIsBufferFull) {
  uint8_t mem[8];
  std::string data(100, 'x');
  size_t pos = 0;
  Reader r({mem, sizeof(mem)}, ChunkSource(&data, &pos, 100));
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

TEST(Reader, SourceErrorIsIoError) {
  uint8_t mem[8];
  Reader r({mem, sizeof(mem)}, [](uint8_t*, size_t) -> ssize_t { return -1; });
  const uint8_t* p;
  EXPECT_EQ(r.Peek(1, &p), Status::kIoError);
}

TEST(Writer, BuffersUntilFlushAndWriteRawBypassesWhenEmpty) {
  std::string out;
  int sink_calls = 0;
  uint8_t mem[8];
  Writer w({mem, sizeof(mem)}, [&](const uint8_t* p, size_t n) {
    ++sink_calls;
    out.append(reinterpret_cast<const char*>(p), n);
    return Status::kOk;
  });
  ASSERT_EQ(w.WriteRaw("raw-bytes", 9), Status::kOk);  // empty buffer: straight to the sink
  EXPECT_EQ(sink_calls, 1);
  ASSERT_EQ(w.Write("abc", 3), Status::kOk);
  EXPECT_EQ(sink_calls, 1);
  uint8_t* p;
  ASSERT_EQ(w.Peek(4, &p), Status::kOk);
  std::memcpy(p, "defg", 4);
  ASSERT_EQ(w.WriteRaw("h", 1), Status::kOk);  // buffered: goes behind what is queued
  EXPECT_EQ(w.Buffered(), 8u);
  ASSERT_EQ(w.Write("ij", 2), Status::kOk);  // does not fit: flushes first
  ASSERT_EQ(w.Flush(), Status::kOk);
  EXPECT_EQ(out, "raw-bytesabcdefghij");
}

TEST(Writer, SinklessWriterRefusesOverflow) {
  uint8_t mem[4];
  Writer w({mem, sizeof(mem)});
  EXPECT_EQ(w.Write("abcd", 4), Status::kOk);
  EXPECT_EQ(w.Write("e", 1), Status::kBufferFull);
  uint8_t* p;
  EXPECT_EQ(w.Peek(5, &p), Status::kBufferFull);
}

TEST(Pool, HandsOutDistinctBuffersAndReusesReturnedOnes) {
  bytes::Pool pool(64, 4);
  bytes::Buffer* a = pool.Get();
  bytes::Buffer* b = pool.Get();
  EXPECT_NE(a->data, b->data);
  EXPECT_EQ(pool.slabs(), 1u);
  EXPECT_EQ(pool.in_use(), 2u);
  pool.Put(a);
  EXPECT_EQ(pool.Get(), a);
  for (int i = 0; i < 3; ++i) pool.Get();
  EXPECT_EQ(pool.slabs(), 2u);  // grew by one slab when the free list ran out
  EXPECT_EQ(pool.in_use(), 5u);
}

TEST(BytesWriter, AppendsPeeksAndHandsOver) {
  bytes::Writer w(4);
  w.Write("ab", 2);
  uint8_t* p = w.Peek(2);
  p[0] = 'c';
  p[1] = 'd';
  w.Write(std::string_view("ef"));
  EXPECT_EQ(w.View(), "abcdef");
  EXPECT_EQ(w.Take(), "abcdef");
  EXPECT_EQ(w.Size(), 0u);
}

}  // namespace
}  // namespace goim::bufio
