#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/discovery/discovery.h"

namespace goim::discovery {
namespace {

Instance Comet(std::string host, std::string zone, int32_t weight = 10) {
  Instance in;
  in.hostname = std::move(host);
  in.zone = std::move(zone);
  in.weight = weight;
  return in;
}

std::vector<std::string> Hosts(const std::vector<Instance>& all) {
  std::vector<std::string> out;
  for (const auto& in : all) out.push_back(in.hostname);
  return out;
}

TEST(Discovery, InZoneKeepsTheZoneAndCometsWithoutOne) {
  std::vector<Instance> all{Comet("a", "sh001"), Comet("b", "sh002"), Comet("c", "")};
  EXPECT_EQ(Hosts(InZone(all, "sh001")), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Hosts(InZone(all, "")), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Discovery, ValidateNamesTheBadEntry) {
  EXPECT_EQ(Validate({Comet("a", ""), Comet("b", "")}, "comets"), "");
  EXPECT_EQ(Validate({Comet("a", ""), Comet("", "")}, "comets"), "comets[1].hostname: must be set");
  EXPECT_EQ(Validate({Comet("a", ""), Comet("a", "")}, "comets"),
            "comets[1].hostname: 'a' is listed twice");
  EXPECT_EQ(Validate({Comet("a", "", 0)}, "comets"), "comets[0].weight: must be > 0");
}

}  // namespace
}  // namespace goim::discovery
