// Tests for the loop-side ServiceResolver over a ServiceManager: bound services by pool id and
// by name, the reasons a lookup fails, and a resolver that follows every change the manager
// publishes (activate, reconfigure, deactivate, rebinding). The in-memory cache is the service:
// it runs in-process, with no server to start.
#include "services/manager.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "services/catalog.h"

namespace edgegate::services {
namespace {

ServiceSpec MemorySpec(std::string id, std::string name) {
  const ServiceType& type = *FindType("memory");
  auto config = ValidateConfig(type, boost::json::parse("{}"));
  EXPECT_TRUE(config.ok()) << config.status().message();
  return {std::move(id), std::move(name), &type, config.ok() ? *config : boost::json::object{}};
}

// The actor a resolver answers, or null (the reason goes to the test log).
std::shared_ptr<Actor> ResolvedActor(ServiceResolver& resolver, std::string_view endpoint,
                                     Kind kind, std::string_view name) {
  auto resolved = resolver.Resolve(endpoint, kind, name);
  if (!resolved.ok()) {
    ADD_FAILURE() << resolved.status().message();
    return nullptr;
  }
  return **resolved;
}

class ServiceManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_.SetCatalog({MemorySpec("s1", "sessions")}, {{"e1", "s1", "cache"}});
  }

  ServiceManager manager_;
};

TEST_F(ServiceManagerTest, ResolverFindsBoundServicesAndSaysWhyNot) {
  manager_.Activate(MemorySpec("s1", "sessions"));
  ServiceResolver resolver(manager_);
  const std::shared_ptr<Actor> actor = manager_.ActorOf("s1");
  ASSERT_NE(actor, nullptr);

  for (std::string_view name : {"cache", "sessions"}) {  // the pool id, then the service's name
    EXPECT_EQ(ResolvedActor(resolver, "e1", Kind::kCache, name), actor) << name;
  }

  struct Miss {
    std::string_view endpoint;
    Kind kind;
    std::string_view name;
    base::Code code;
    std::string_view says;
  };
  for (const Miss& miss : {
           Miss{"e1", Kind::kCache, "other", base::Code::kNotFound, "'other' is not bound"},
           Miss{"e2", Kind::kCache, "cache", base::Code::kNotFound, "'cache' is not bound"},
           Miss{"e1", Kind::kDatabase, "cache", base::Code::kNotFound,
                "is a cache (memory), not a database"},
       }) {
    auto from_resolver = resolver.Resolve(miss.endpoint, miss.kind, miss.name);
    ASSERT_FALSE(from_resolver.ok()) << miss.says;
    EXPECT_EQ(from_resolver.status().code(), miss.code);
    EXPECT_NE(from_resolver.status().message().find(miss.says), std::string::npos)
        << from_resolver.status().message();
  }
}

// Which endpoints' requests need a coroutine: those bound to a service whose calls wait for its
// actor (sqlite here). A memory cache answers inline; an endpoint without bindings calls nothing.
TEST_F(ServiceManagerTest, ResolverTellsWhichEndpointsMayWaitForAnActor) {
  ServiceResolver resolver(manager_);
  EXPECT_FALSE(resolver.MayWait("e1")) << "bound to a memory cache only";
  EXPECT_FALSE(resolver.MayWait("e2")) << "no bindings";

  const ServiceType& sqlite = *FindType("sqlite");
  ASSERT_FALSE(sqlite.inline_calls);
  ServiceSpec db{"s2", "main", &sqlite, boost::json::object{}};  // never activated: only its type
  manager_.SetCatalog(
      {MemorySpec("s1", "sessions"), db},
      {{"e1", "s1", "cache"}, {"e2", "s2", "db"}, {"e3", "s1", "cache"}, {"e3", "s2", "db"}});
  EXPECT_FALSE(resolver.MayWait("e1"));
  EXPECT_TRUE(resolver.MayWait("e2"));
  EXPECT_TRUE(resolver.MayWait("e3")) << "one binding that waits is enough";
  EXPECT_FALSE(resolver.MayWait("e4"));

  manager_.SetCatalog({}, {{"e1", "s1", "cache"}});  // the database binding removed
  EXPECT_FALSE(resolver.MayWait("e2"));
  EXPECT_FALSE(resolver.MayWait("e3"));
}

TEST_F(ServiceManagerTest, ResolverFollowsEveryPublishedChange) {
  ServiceResolver resolver(manager_);
  auto inactive = resolver.Resolve("e1", Kind::kCache, "cache");
  ASSERT_FALSE(inactive.ok());
  EXPECT_EQ(inactive.status().code(), base::Code::kFailedPrecondition);
  EXPECT_NE(inactive.status().message().find("not activated"), std::string::npos);

  manager_.Activate(MemorySpec("s1", "sessions"));
  const std::shared_ptr<Actor> first = manager_.ActorOf("s1");
  EXPECT_EQ(ResolvedActor(resolver, "e1", Kind::kCache, "cache"), first);

  // Reconfiguring starts a new actor; the resolver must stop handing out the old one.
  manager_.Activate(MemorySpec("s1", "sessions"));
  const std::shared_ptr<Actor> second = manager_.ActorOf("s1");
  ASSERT_NE(second, first);
  EXPECT_EQ(ResolvedActor(resolver, "e1", Kind::kCache, "cache"), second);

  manager_.Deactivate("s1");
  auto deactivated = resolver.Resolve("e1", Kind::kCache, "cache");
  ASSERT_FALSE(deactivated.ok());
  EXPECT_EQ(deactivated.status().code(), base::Code::kFailedPrecondition);

  // Rebinding: the old binding is gone, the new endpoint reaches the service.
  manager_.Activate(MemorySpec("s1", "sessions"));
  manager_.SetCatalog({MemorySpec("s1", "sessions")}, {{"e2", "s1", "store"}});
  auto unbound = resolver.Resolve("e1", Kind::kCache, "cache");
  ASSERT_FALSE(unbound.ok());
  EXPECT_EQ(unbound.status().code(), base::Code::kNotFound);
  EXPECT_EQ(ResolvedActor(resolver, "e2", Kind::kCache, "store"), manager_.ActorOf("s1"));
}

TEST_F(ServiceManagerTest, ResolvedActorAnswersCalls) {
  manager_.Activate(MemorySpec("s1", "sessions"));
  ServiceResolver resolver(manager_);
  auto resolved = resolver.Resolve("e1", Kind::kCache, "cache");
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  Actor& actor = ***resolved;
  ASSERT_TRUE(actor.inline_calls());
  const ArgView set_args[] = {ArgView::String("k"), ArgView::String("v")};
  ASSERT_TRUE(actor.CallInline("set", set_args).ok());
  const ArgView get_args[] = {ArgView::String("k")};
  auto got = actor.CallInline("get", get_args);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->text, "v");
}

}  // namespace
}  // namespace edgegate::services
