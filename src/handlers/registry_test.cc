// Registry tests with real libraries: pinning, hot swap, draining, unloading, overdue drains.
#include "handlers/registry.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "base/test_util.h"

namespace edgegate::handlers {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;


void FakeRespond(eg_call*, int, const eg_pair*, size_t, eg_str) {}

const eg_host_api kFakeHost = {EG_ABI_VERSION, sizeof(eg_host_api), nullptr, nullptr, nullptr,
                               &FakeRespond, /*service_call=*/nullptr};

class RegistryTest : public ::testing::Test {
 protected:

  // Each version gets its own copy of the library: distinct files are distinct dlopen handles.
  std::string LibraryCopy(int n) {
    fs::path path = dir_ / ("v" + std::to_string(n) + ".so");
    fs::copy_file(EDGEGATE_TINY_HANDLER, path, fs::copy_options::overwrite_existing);
    return path.string();
  }

  std::shared_ptr<HandlerVersion> LoadVersion(Registry& registry, int n) {
    auto v = registry.Load("ep", n, "hash" + std::to_string(n), LibraryCopy(n));
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() ? *v : nullptr;
  }

  // Loads version 1 and makes it the endpoint's active one.
  std::shared_ptr<HandlerVersion> ActivateFirst(Registry& registry) {
    auto v1 = LoadVersion(registry, 1);
    EXPECT_TRUE(v1 && registry.Activate(v1).ok());
    return v1;
  }

  static bool IsResident(const std::string& path) {
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (h != nullptr) ::dlclose(h);
    return h != nullptr;
  }

  base::TempDir temp_{"edgegate-registry"};
  const fs::path& dir_ = temp_.path();
};

TEST_F(RegistryTest, PinOfStoppedEndpointIsEmpty) {
  Registry registry({});
  EXPECT_FALSE(registry.Slot("ep")->Pin());
}

TEST_F(RegistryTest, ReplacedVersionUnloadsOnlyAfterLastPinIsReleased) {
  Registry registry({milliseconds(30'000), milliseconds(5)});
  auto v1 = ActivateFirst(registry);
  auto slot = registry.Slot("ep");
  PinnedHandler pin = slot->Pin();
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->number(), 1);

  auto v2 = LoadVersion(registry, 2);
  auto previous = registry.Activate(v2);
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ(*previous, 1);
  EXPECT_EQ(slot->Pin()->number(), 2);  // new requests go to v2 at once
  EXPECT_EQ(v1->state(), VersionState::kDraining);
  EXPECT_FALSE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(50)));
  EXPECT_TRUE(IsResident((dir_ / "v1.so").string()));  // a request is still inside

  pin->descriptor().handle(&kFakeHost, nullptr, nullptr);  // still callable while pinned
  pin.Reset();
  EXPECT_TRUE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(5000)));
  EXPECT_EQ(v1->state(), VersionState::kUnloaded);
  EXPECT_FALSE(IsResident((dir_ / "v1.so").string()));
}

// The in-flight count is sharded by thread: pins from other threads must hold a drain as well,
// and a pin released on another thread than the one that took it must still be taken back.
TEST_F(RegistryTest, PinsOfEveryThreadHoldTheDrain) {
  Registry registry({milliseconds(30'000), milliseconds(5)});
  auto v1 = ActivateFirst(registry);
  auto slot = registry.Slot("ep");
  PinnedHandler mine = slot->Pin();
  std::promise<void> pinned, release;
  std::thread other([&] {
    PinnedHandler theirs = slot->Pin();
    pinned.set_value();
    release.get_future().wait();
  });
  pinned.get_future().wait();
  EXPECT_EQ(v1->in_flight(), 2);
  PinnedHandler moved = slot->Pin();
  std::thread([pin = std::move(moved)]() mutable { pin.Reset(); }).join();
  EXPECT_EQ(v1->in_flight(), 2) << "a pin released on another thread";

  ASSERT_TRUE(registry.Activate(LoadVersion(registry, 2)).ok());
  mine.Reset();
  EXPECT_EQ(v1->in_flight(), 1);
  EXPECT_FALSE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(50)));
  EXPECT_TRUE(IsResident((dir_ / "v1.so").string())) << "the other thread's request is inside";
  release.set_value();
  other.join();
  EXPECT_TRUE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(5000)));
  EXPECT_EQ(v1->state(), VersionState::kUnloaded);
  EXPECT_EQ(v1->in_flight(), 0);
}

TEST_F(RegistryTest, ConcurrentPinsNeverSeeAnUnloadedVersionDuringSwaps) {
  Registry registry({milliseconds(30'000), milliseconds(1)});
  ASSERT_TRUE(registry.Activate(LoadVersion(registry, 1)).ok());
  auto slot = registry.Slot("ep");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        PinnedHandler pin = slot->Pin();
        if (!pin) continue;
        VersionState s = pin->state();
        if (s != VersionState::kActive && s != VersionState::kDraining) ++bad;
        pin->descriptor().handle(&kFakeHost, nullptr, nullptr);
        ++calls;
      }
    });
  }
  for (int n = 2; n <= 40; ++n) {
    ASSERT_TRUE(registry.Activate(LoadVersion(registry, n)).ok());
    std::this_thread::sleep_for(milliseconds(2));
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(calls.load(), 0);
  EXPECT_TRUE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(5000)));
  for (const VersionInfo& info : registry.Versions("ep")) {
    EXPECT_EQ(info.in_flight, 0);
    EXPECT_EQ(info.state, info.number == 40 ? VersionState::kActive : VersionState::kUnloaded)
        << "version " << info.number;
  }
}

TEST_F(RegistryTest, DrainPastTimeoutIsReportedNotForced) {
  Registry registry({milliseconds(10), milliseconds(2)});
  ASSERT_TRUE(registry.Activate(LoadVersion(registry, 1)).ok());
  PinnedHandler pin = registry.Slot("ep")->Pin();
  registry.Deactivate("ep");
  EXPECT_FALSE(registry.Slot("ep")->Pin());
  std::this_thread::sleep_for(milliseconds(60));
  auto versions = registry.Versions("ep");
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_TRUE(versions[0].drain_overdue);
  EXPECT_EQ(versions[0].state, VersionState::kDraining);
  EXPECT_TRUE(IsResident((dir_ / "v1.so").string()));
  pin.Reset();
  EXPECT_TRUE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(5000)));
  EXPECT_EQ(registry.Versions("ep")[0].state, VersionState::kUnloaded);
}

TEST_F(RegistryTest, ReactivatingADrainingVersionKeepsItLoaded) {
  Registry registry({milliseconds(30'000), milliseconds(1)});
  auto v1 = LoadVersion(registry, 1);
  ASSERT_TRUE(registry.Activate(v1).ok());
  PinnedHandler pin = registry.Slot("ep")->Pin();
  ASSERT_TRUE(registry.Activate(LoadVersion(registry, 2)).ok());
  ASSERT_TRUE(registry.Activate(v1).ok());  // rollback while v1 still drains
  pin.Reset();
  EXPECT_TRUE(registry.WaitForDrains(std::chrono::steady_clock::now() + milliseconds(5000)));
  EXPECT_EQ(v1->state(), VersionState::kActive);
  EXPECT_TRUE(IsResident((dir_ / "v1.so").string()));
  EXPECT_EQ(registry.Slot("ep")->Pin()->number(), 1);
}

}  // namespace
}  // namespace edgegate::handlers
