// The stored form of an Instance: goim's discovery record as JSON (the shape bilibili discovery
// and /goim/nodes/instances use), so a record reads the same in etcd, in bilibili discovery and
// in logic's API:
//   {"region":"sh","zone":"sh001","env":"dev","appid":"goim.comet","hostname":"comet-1",
//    "addrs":["grpc://10.0.0.1:3109"],"version":"","latest_timestamp":<unix ns>,
//    "metadata":{"addrs":"47.89.10.97","weight":"10","offline":"false","conn_count":"1",
//                "ip_count":"1","epoch":"5f3a..."}}
// Metadata values are strings, as goim's. "epoch" is ours (goim ignores unknown metadata).
#pragma once

#include <string>
#include <string_view>

#include "pkg/discovery/discovery.h"
#include "pkg/json/json.h"

namespace goim::discovery {

std::string EncodeInstance(const Instance& in);
// The record's metadata alone, as the JSON object text bilibili discovery's register takes.
std::string EncodeMetadata(const Instance& in);

// Reads a record stored for (appid, hostname); false with *error when it is not JSON, not a goim
// record, or names another application or host than its key (a foreign value under the prefix).
bool DecodeInstance(std::string_view text, const std::string& appid, const std::string& hostname,
                    Instance* out, std::string* error);
// The same for a record already parsed (bilibili discovery's answers carry them as objects; their
// extra members, status and the other timestamps, are passed over). latest_timestamp falls back to
// dirty_timestamp, which bilibili discovery sets at every register.
bool DecodeInstance(const json::Json& v, const std::string& appid, const std::string& hostname,
                    Instance* out, std::string* error);

}  // namespace goim::discovery
