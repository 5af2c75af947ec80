// Reading a process from /proc: CPU seconds (whole process, or the threads whose name starts with
// a prefix), resident memory, and the kernel's socket memory (/proc/net/sockstat).
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace goim::bench {

// utime + stime of /proc/<path>/stat, in seconds.
inline double StatCpu(const std::string& stat_path, std::string* comm = nullptr) {
  std::ifstream in(stat_path);
  std::string s;
  std::getline(in, s);
  size_t open = s.find('('), close = s.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return 0;
  if (comm) *comm = s.substr(open + 1, close - open - 1);
  std::istringstream rest(s.substr(close + 2));
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double ProcessCpu(int pid) { return StatCpu("/proc/" + std::to_string(pid) + "/stat"); }

// CPU of the threads whose name starts with prefix (the comet's loops are "comet-0", "comet-1"...).
inline double ThreadsCpu(int pid, const std::string& prefix) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  double sum = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string comm;
      double cpu = StatCpu(dir + "/" + e->d_name + "/stat", &comm);
      if (comm.rfind(prefix, 0) == 0) sum += cpu;
    }
    closedir(d);
  }
  return sum;
}

// VmRSS in bytes.
inline long long Rss(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

// TCP socket memory the kernel holds ("mem" of /proc/net/sockstat, pages), in bytes.
inline long long SockstatTcpMem() {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    size_t at = line.find(" mem ");
    if (at != std::string::npos) return std::stoll(line.substr(at + 5)) * sysconf(_SC_PAGESIZE);
  }
  return 0;
}

}  // namespace goim::bench
