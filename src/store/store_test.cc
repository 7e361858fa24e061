// Tests for the store: each runs against a fresh SQLite file in its own temp directory, with an
// injected clock. Raw SQL (through the internal wrapper) is used only to inspect what the store
// wrote and to create rows directly.
#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "base/random.h"
#include "store/internal/sqlite.h"
#include "store/migrations.h"

namespace edgegate::store {
namespace {

using base::Code;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("edgegate_store_test_" + base::RandomHex(8));
    db_file_ = dir_ / "data" / "edgegate.db";
    store_ = OpenStore();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> OpenStore() {
    StoreOptions options;
    options.now_ms = [this] { return now_; };
    Result<std::unique_ptr<Store>> store = Store::Open(db_file_, std::move(options));
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A second connection to the same file, for inspection.
  std::unique_ptr<internal::Database> Raw() {
    return std::move(internal::Database::Open(db_file_)).value();
  }

  int64_t Count(const char* sql) {
    auto raw = Raw();
    auto stmt = raw->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().message();
    EXPECT_TRUE(*stmt->Step());
    return stmt->Int(0);
  }

  EndpointRecord Endpoint(std::string domain, std::string method, std::string path) {
    EndpointRecord e;
    e.id = base::NewUuid();
    e.name = method + " " + path;
    e.domain = std::move(domain);
    e.method = std::move(method);
    e.path = path;
    e.route_shape = path;
    e.code = "// handler for " + path;
    return e;
  }

  EndpointRecord Created(std::string domain, std::string method, std::string path) {
    EndpointRecord e = Endpoint(std::move(domain), std::move(method), std::move(path));
    Status status = store_->CreateEndpoint(e);
    EXPECT_TRUE(status.ok()) << status.message();
    return e;
  }

  VersionRecord Version(const std::string& endpoint_id, std::string hash) {
    VersionRecord v;
    v.endpoint_id = endpoint_id;
    v.hash = std::move(hash);
    v.source = "source of " + v.hash;
    v.library_path = "/data/lib/" + v.hash + ".so";
    return v;
  }

  std::filesystem::path dir_;
  std::filesystem::path db_file_;
  int64_t now_ = 1'795'692'891'123;
  std::unique_ptr<Store> store_;
};

// A filter with one field set: Filter(&EndpointFilter::domain, "x").
template <typename Field, typename Value>
EndpointFilter Filter(Field EndpointFilter::*field, Value value) {
  EndpointFilter filter;
  filter.*field = value;
  return filter;
}

ApiKeyRecord Key(std::string id, std::string hash) {
  ApiKeyRecord key;
  key.id = std::move(id);
  key.key_hash = std::move(hash);
  key.prefix = "eg_" + key.id;
  key.scopes = {"*"};
  return key;
}

std::vector<std::string> Ids(const std::vector<EndpointRecord>& endpoints) {
  std::vector<std::string> ids;
  for (const auto& e : endpoints) {
    ids.push_back(e.id);
  }
  return ids;
}

TEST(FormatTimestampTest, RendersIsoUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(1'795'692'891'123), "2026-11-26T11:34:51.123Z");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999Z");
}

// The connection's statement cache: a borrowed statement comes back reset, with no bindings,
// and a nested use of the same SQL gets a statement of its own.
class StatementCacheTest : public StoreTest {
 protected:
  std::unique_ptr<internal::Database> Db() {
    auto db = Raw();
    EXPECT_TRUE(db->Exec("CREATE TABLE t (n INTEGER, s TEXT);"
                         "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');").ok());
    return db;
  }
};

TEST_F(StatementCacheTest, AReusedStatementStartsOverWithNoBindings) {
  auto db = Db();
  constexpr char kSql[] = "SELECT n, s FROM t WHERE ?1 IS NULL OR n >= ?1 ORDER BY n";
  {
    auto stmt = db->Prepare(kSql);
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, int64_t{2});
    ASSERT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->Int(0), 2);  // one row of two read, then given back mid-way
  }
  EXPECT_EQ(db->cached_statements(), 1u);
  auto again = db->Prepare(kSql);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(db->cached_statements(), 1u) << "the same SQL is compiled once";
  ASSERT_TRUE(*again->Step());
  EXPECT_EQ(again->Int(0), 1) << "reset (first row again) and unbound (?1 is NULL)";
}

TEST_F(StatementCacheTest, NestedUsesOfOneSqlAreIndependent) {
  auto db = Db();
  constexpr char kSql[] = "SELECT n FROM t WHERE n >= ? ORDER BY n";
  ASSERT_TRUE(db->Prepare(kSql).ok());  // compiled and cached: `outer` borrows it
  auto outer = db->Prepare(kSql);
  ASSERT_TRUE(outer.ok());
  ASSERT_TRUE(*outer->Bind(1, int64_t{1}).Step());
  {
    auto inner = db->Prepare(kSql);
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE(*inner->Bind(1, int64_t{3}).Step());
    EXPECT_EQ(inner->Int(0), 3);
    EXPECT_FALSE(*inner->Step());
  }
  EXPECT_EQ(outer->Int(0), 1);
  ASSERT_TRUE(*outer->Step());
  EXPECT_EQ(outer->Int(0), 2);
}

TEST_F(StatementCacheTest, AStatementThatFailedIsReusable) {
  auto db = Db();
  ASSERT_TRUE(db->Exec("CREATE UNIQUE INDEX t_n ON t (n)").ok());
  constexpr char kSql[] = "INSERT INTO t (n, s) VALUES (?, 'x')";
  {
    auto stmt = db->Prepare(kSql);
    ASSERT_TRUE(stmt.ok());
    EXPECT_FALSE(stmt->Bind(1, int64_t{1}).Run().ok());
    EXPECT_EQ(stmt->violation(), internal::Violation::kUnique);
  }
  auto stmt = db->Prepare(kSql);
  ASSERT_TRUE(stmt.ok());
  EXPECT_TRUE(stmt->Bind(1, int64_t{4}).Run().ok());
  EXPECT_EQ(stmt->violation(), internal::Violation::kNone);
}

TEST_F(StoreTest, OpenCreatesTheParentDirectoryAndAppliesAllMigrations) {
  ASSERT_TRUE(std::filesystem::exists(db_file_));
  EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM schema_migrations"), LatestSchemaVersion());
}

TEST_F(StoreTest, ReopeningAppliesNoMigrationTwice) {
  store_.reset();
  now_ += 60'000;
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM schema_migrations"), LatestSchemaVersion());
  auto raw = Raw();
  auto stmt = std::move(raw->Prepare("SELECT applied_at FROM schema_migrations")).value();
  ASSERT_TRUE(*stmt.Step());
  EXPECT_EQ(stmt.Text(0), "2026-11-26T11:34:51.123Z");  // the first open's time
}

TEST_F(StoreTest, OpenRefusesADatabaseWrittenByANewerBinary) {
  store_.reset();
  auto raw = Raw();
  auto insert = std::move(raw->Prepare("INSERT INTO schema_migrations VALUES(?, 'later')")).value();
  ASSERT_TRUE(insert.Bind(1, LatestSchemaVersion() + 1).Run().ok());
  Result<std::unique_ptr<Store>> store = Store::Open(db_file_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
}

TEST_F(StoreTest, CreatedEndpointReadsBackFieldForField) {
  EndpointRecord e = Endpoint("api.example.com", "GET", "/pets/{id}");
  e.route_shape = "/pets/{}";
  e.description = "one pet";
  e.dependencies = {"fmt", "nlohmann_json"};
  e.enabled = false;
  ASSERT_TRUE(store_->CreateEndpoint(e).ok());
  Result<EndpointRecord> got = store_->GetEndpoint(e.id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->name, e.name);
  EXPECT_EQ(got->path, "/pets/{id}");
  EXPECT_EQ(got->route_shape, "/pets/{}");
  EXPECT_EQ(got->domain, "api.example.com");
  EXPECT_EQ(got->code, e.code);
  EXPECT_EQ(got->dependencies, e.dependencies);
  EXPECT_FALSE(got->enabled);
  EXPECT_EQ(got->status, "created");
  EXPECT_EQ(got->collection_id, std::nullopt);
  EXPECT_EQ(got->active_version, std::nullopt);
  EXPECT_EQ(got->created_at, now_);
  EXPECT_EQ(got->updated_at, now_);
}

TEST_F(StoreTest, GettingAnUnknownEndpointIsNotFound) {
  Result<EndpointRecord> got = store_->GetEndpoint("nope");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(), "endpoint nope not found");
}

TEST_F(StoreTest, SameDomainMethodAndRouteShapeIsAlreadyExistsNamingTheOwner) {
  EndpointRecord first = Created("*", "GET", "/pets/{}");
  Status status = store_->CreateEndpoint(Endpoint("*", "GET", "/pets/{}"));
  EXPECT_EQ(status.code(), Code::kAlreadyExists);
  EXPECT_EQ(status.message(),
            "an endpoint with the same domain, method and path already exists: " + first.id);
}

TEST_F(StoreTest, SameRouteOnAnotherDomainOrMethodIsAllowed) {
  Created("*", "GET", "/pets/{}");
  EXPECT_TRUE(store_->CreateEndpoint(Endpoint("api.example.com", "GET", "/pets/{}")).ok());
  EXPECT_TRUE(store_->CreateEndpoint(Endpoint("*", "POST", "/pets/{}")).ok());
}

TEST_F(StoreTest, DuplicateEndpointIdIsAlreadyExists) {
  EndpointRecord first = Created("*", "GET", "/a");
  EndpointRecord again = Endpoint("*", "GET", "/b");
  again.id = first.id;
  EXPECT_EQ(store_->CreateEndpoint(again).code(), Code::kAlreadyExists);
}

TEST_F(StoreTest, ValuesTheStoreCannotHoldAreRejectedWithTheirField) {
  EndpointRecord bad_status = Endpoint("*", "GET", "/a");
  bad_status.status = "sleeping";
  EXPECT_EQ(store_->CreateEndpoint(bad_status).field(), "status");
  EndpointRecord bad_dependency = Endpoint("*", "GET", "/a");
  bad_dependency.dependencies = {"fmt\nboost"};
  EXPECT_EQ(store_->CreateEndpoint(bad_dependency).field(), "dependencies");
  EXPECT_EQ(store_->SetEndpointStatus("x", "sleeping", std::nullopt).field(), "status");
}

TEST_F(StoreTest, ListFiltersByDomainEnabledAndStatusAndOmitsCodeUnlessAsked) {
  EndpointRecord a = Created("a.example.com", "GET", "/a");
  ++now_;
  EndpointRecord b = Endpoint("a.example.com", "GET", "/b");
  b.enabled = false;
  ASSERT_TRUE(store_->CreateEndpoint(b).ok());
  ++now_;
  EndpointRecord c = Created("*", "GET", "/c");
  ASSERT_TRUE(store_->SetEndpointStatus(c.id, "error", std::nullopt).ok());

  EXPECT_EQ(Ids(*store_->ListEndpoints(Filter(&EndpointFilter::domain, "a.example.com"))),
            (std::vector<std::string>{a.id, b.id}));
  EXPECT_EQ(Ids(*store_->ListEndpoints(Filter(&EndpointFilter::enabled, false))),
            std::vector<std::string>{b.id});
  EXPECT_EQ(Ids(*store_->ListEndpoints(Filter(&EndpointFilter::status, "error"))),
            std::vector<std::string>{c.id});
  EXPECT_EQ(store_->ListEndpoints({})->front().code, "");
  EXPECT_EQ(store_->ListEndpoints(Filter(&EndpointFilter::include_code, true))->front().code,
            a.code);
}

TEST_F(StoreTest, ListPaginatesByCursorInCreationOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    now_ += i % 2;  // some share a created_at: the id breaks the tie
    expected.push_back(Created("*", "GET", "/p" + std::to_string(i)).id);
  }
  std::sort(expected.begin() + 1, expected.begin() + 3);  // created at the same ms
  std::sort(expected.begin() + 3, expected.begin() + 5);
  std::vector<std::string> seen;
  EndpointFilter filter = Filter(&EndpointFilter::limit, 2);
  for (int page = 0; page < 4; ++page) {
    std::vector<EndpointRecord> got = *store_->ListEndpoints(filter);
    ASSERT_LE(got.size(), 2u);
    if (got.empty()) {
      break;
    }
    for (const auto& e : got) {
      seen.push_back(e.id);
    }
    filter.after_id = got.back().id;
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(StoreTest, ListAfterAnUnknownCursorIsInvalidArgument) {
  Result<std::vector<EndpointRecord>> got =
      store_->ListEndpoints(Filter(&EndpointFilter::after_id, "gone"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(got.status().field(), "after_id");
}

TEST_F(StoreTest, UpdateReplacesMutableFieldsAndLeavesStatusAlone) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->SetEndpointStatus(e.id, "running", 3).ok());
  now_ += 1000;
  e.path = "/b";
  e.route_shape = "/b";
  e.code = "new code";
  e.dependencies = {"fmt"};
  e.status = "created";  // ignored by UpdateEndpoint
  ASSERT_TRUE(store_->UpdateEndpoint(e).ok());
  EndpointRecord got = *store_->GetEndpoint(e.id);
  EXPECT_EQ(got.path, "/b");
  EXPECT_EQ(got.code, "new code");
  EXPECT_EQ(got.dependencies, std::vector<std::string>{"fmt"});
  EXPECT_EQ(got.status, "running");
  EXPECT_EQ(got.active_version, 3);
  EXPECT_EQ(got.updated_at, now_);
  EXPECT_EQ(got.created_at, now_ - 1000);
}

TEST_F(StoreTest, UpdateOntoAnotherEndpointsRouteIsAlreadyExists) {
  EndpointRecord a = Created("*", "GET", "/a");
  EndpointRecord b = Created("*", "GET", "/b");
  b.route_shape = "/a";
  Status status = store_->UpdateEndpoint(b);
  EXPECT_EQ(status.code(), Code::kAlreadyExists);
  EXPECT_NE(status.message().find(a.id), std::string::npos);
  EXPECT_EQ(store_->GetEndpoint(b.id)->route_shape, "/b");
}

TEST_F(StoreTest, UpdatingAnUnknownEndpointIsNotFound) {
  EXPECT_EQ(store_->UpdateEndpoint(Endpoint("*", "GET", "/a")).code(), Code::kNotFound);
}

TEST_F(StoreTest, DeleteRemovesTheEndpointAndItsVersions) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h2")).ok());
  ASSERT_TRUE(store_->DeleteEndpoint(e.id).ok());
  EXPECT_EQ(store_->GetEndpoint(e.id).status().code(), Code::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM endpoint_versions"), 0);
  EXPECT_EQ(store_->DeleteEndpoint(e.id).code(), Code::kNotFound);
  EXPECT_TRUE(store_->CreateEndpoint(Endpoint("*", "GET", "/a")).ok());  // the route is free
}

TEST_F(StoreTest, EndpointCollectionMustExistAndDeletingItsDomainCascades) {
  EndpointRecord orphan = Endpoint("*", "GET", "/a");
  orphan.collection_id = "no-such-collection";
  EXPECT_EQ(store_->CreateEndpoint(orphan).field(), "collection_id");

  ASSERT_TRUE(
      Raw()
          ->Exec("INSERT INTO domains VALUES('d1', 'main', 'api.example.com', '', 1, 0, 0);"
                 "INSERT INTO collections VALUES('c1', 'd1', 'pets', '', '/pets', 1, 0, 0);")
          .ok());
  EndpointRecord member = Endpoint("api.example.com", "GET", "/pets");
  member.collection_id = "c1";
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  Created("*", "GET", "/other");
  EXPECT_EQ(Ids(*store_->ListEndpoints(Filter(&EndpointFilter::collection_id, "c1"))),
            std::vector<std::string>{member.id});

  ASSERT_TRUE(Raw()->Exec("PRAGMA foreign_keys=ON; DELETE FROM domains WHERE id = 'd1';").ok());
  EXPECT_EQ(store_->GetEndpoint(member.id).status().code(), Code::kNotFound);
}

TEST_F(StoreTest, AddVersionNumbersEachEndpointFromOne) {
  EndpointRecord a = Created("*", "GET", "/a");
  EndpointRecord b = Created("*", "GET", "/b");
  EXPECT_EQ(store_->AddVersion(Version(a.id, "h1"))->version, 1);
  EXPECT_EQ(store_->AddVersion(Version(a.id, "h2"))->version, 2);
  EXPECT_EQ(store_->AddVersion(Version(b.id, "h1"))->version, 1);
  VersionRecord stored = *store_->AddVersion(Version(a.id, "h3"));
  EXPECT_EQ(stored.version, 3);
  EXPECT_EQ(stored.created_at, now_);
  std::vector<VersionRecord> listed = *store_->ListVersions(a.id);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].hash, "h1");
  EXPECT_EQ(listed[2].source, "source of h3");
  EXPECT_EQ(store_->GetVersion(a.id, 2)->library_path, "/data/lib/h2.so");
  EXPECT_EQ(store_->GetVersion(a.id, 9).status().message(),
            "version 9 of endpoint " + a.id + " not found");
}

TEST_F(StoreTest, VersionsOfAnUnknownEndpointAreNotFound) {
  EXPECT_EQ(store_->AddVersion(Version("nope", "h1")).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ListVersions("nope").status().code(), Code::kNotFound);
}

TEST_F(StoreTest, FindVersionByHashReturnsTheNewestMatchOrNothing) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h2")).ok());
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  EXPECT_EQ((*store_->FindVersionByHash(e.id, "h1"))->version, 3);
  EXPECT_EQ(*store_->FindVersionByHash(e.id, "h9"), std::nullopt);
}

TEST_F(StoreTest, ActivateVersionFlipsThePreviousToDrainingAndMarksTheEndpointRunning) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h2")).ok());
  ASSERT_TRUE(store_->ActivateVersion(e.id, 1).ok());
  ASSERT_TRUE(store_->ActivateVersion(e.id, 2).ok());
  EXPECT_EQ(store_->GetVersion(e.id, 1)->state, "draining");
  EXPECT_EQ(store_->GetVersion(e.id, 2)->state, "active");
  EndpointRecord got = *store_->GetEndpoint(e.id);
  EXPECT_EQ(got.status, "running");
  EXPECT_EQ(got.active_version, 2);
}

TEST_F(StoreTest, ActivateVersionThatFailsChangesNothing) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  VersionRecord broken = Version(e.id, "h2");
  broken.state = "failed";
  ASSERT_TRUE(store_->AddVersion(broken).ok());
  ASSERT_TRUE(store_->ActivateVersion(e.id, 1).ok());

  EXPECT_EQ(store_->ActivateVersion(e.id, 2).code(), Code::kFailedPrecondition);
  EXPECT_EQ(store_->ActivateVersion(e.id, 7).code(), Code::kNotFound);
  EXPECT_EQ(store_->GetVersion(e.id, 1)->state, "active");
  EXPECT_EQ(store_->GetEndpoint(e.id)->active_version, 1);
}

TEST_F(StoreTest, SetVersionStateValidatesAndFindsTheVersion) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  ASSERT_TRUE(store_->SetVersionState(e.id, 1, "unloaded").ok());
  EXPECT_EQ(store_->GetVersion(e.id, 1)->state, "unloaded");
  EXPECT_EQ(store_->SetVersionState(e.id, 1, "asleep").field(), "state");
  EXPECT_EQ(store_->SetVersionState(e.id, 2, "unloaded").code(), Code::kNotFound);
}

TEST_F(StoreTest, ApiKeysAreFoundByHashAndNeverByKey) {
  ApiKeyRecord key = Key(base::NewUuid(), base::Sha256Hex("eg_secret"));
  key.label = "ci";
  key.prefix = "eg_secre";
  key.scopes = {"endpoints:read", "endpoints:write"};
  key.expires_at = now_ + 86'400'000;
  ASSERT_TRUE(store_->AddApiKey(key).ok());
  std::optional<ApiKeyRecord> found = *store_->FindApiKeyByHash(base::Sha256Hex("eg_secret"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, key.id);
  EXPECT_EQ(found->scopes, key.scopes);
  EXPECT_EQ(found->expires_at, key.expires_at);
  EXPECT_EQ(found->created_at, now_);
  EXPECT_EQ(*store_->FindApiKeyByHash("eg_secret"), std::nullopt);
  EXPECT_EQ(*store_->CountApiKeys(), 1);
}

TEST_F(StoreTest, ApiKeysCanBeDisabledListedAndDeleted) {
  ASSERT_TRUE(store_->AddApiKey(Key("k1", "hash1")).ok());
  EXPECT_EQ(store_->AddApiKey(Key("k2", "hash1")).code(), Code::kAlreadyExists);
  EXPECT_EQ(store_->AddApiKey(Key("k1", "hash2")).code(), Code::kAlreadyExists);
  ASSERT_TRUE(store_->SetApiKeyEnabled("k1", false).ok());
  EXPECT_FALSE(store_->ListApiKeys()->front().enabled);
  ASSERT_TRUE(store_->DeleteApiKey("k1").ok());
  EXPECT_EQ(*store_->CountApiKeys(), 0);
  EXPECT_EQ(store_->DeleteApiKey("k1").code(), Code::kNotFound);
  EXPECT_EQ(store_->SetApiKeyEnabled("k1", true).code(), Code::kNotFound);
}

TEST_F(StoreTest, ReopeningAfterWritesKeepsEverything) {
  EndpointRecord e = Created("*", "GET", "/a");
  ASSERT_TRUE(store_->AddVersion(Version(e.id, "h1")).ok());
  ASSERT_TRUE(store_->ActivateVersion(e.id, 1).ok());
  ASSERT_TRUE(store_->AddApiKey(Key("k1", "hash1")).ok());
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->GetEndpoint(e.id)->active_version, 1);
  EXPECT_EQ(store_->GetVersion(e.id, 1)->state, "active");
  EXPECT_EQ(*store_->CountApiKeys(), 1);
}

TEST_F(StoreTest, CommittedWritesSurviveKillNine) {
  store_.reset();
  EndpointRecord e = Endpoint("*", "GET", "/a");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::Open(db_file_);
    bool ok = store.ok() && (*store)->CreateEndpoint(e).ok();
    raise(ok ? SIGKILL : SIGTERM);  // die without closing anything
    _exit(1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus));
  ASSERT_EQ(WTERMSIG(wstatus), SIGKILL) << "the child failed to write";
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(store_->GetEndpoint(e.id).ok());
}

TEST_F(StoreTest, ConcurrentWritersEachGetADistinctVersion) {
  EndpointRecord e = Created("*", "GET", "/a");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(store_->AddVersion(Version(e.id, "h" + std::to_string(t))).ok());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<VersionRecord> versions = *store_->ListVersions(e.id);
  ASSERT_EQ(versions.size(), 100u);
  for (size_t i = 0; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i].version, static_cast<int64_t>(i + 1));
  }
}

// ---- Domains and collections ----

DomainRecord Domain(std::string id, std::string host) {
  DomainRecord d;
  d.id = std::move(id);
  d.name = "domain " + d.id;
  d.host = std::move(host);
  return d;
}

CollectionRecord Collection(std::string id, std::string domain_id, std::string base_path) {
  CollectionRecord c;
  c.id = std::move(id);
  c.domain_id = std::move(domain_id);
  c.name = "collection " + c.id;
  c.base_path = std::move(base_path);
  return c;
}

// An endpoint of `c` (on `host`) at `path`, derived as the admin layer does (paths in these
// tests are already shapes).
EndpointRecord InCollection(const CollectionRecord& c, const std::string& host, std::string method,
                            std::string path) {
  EndpointRecord e;
  e.id = base::NewUuid();
  e.name = method + " " + path;
  e.domain = host;
  e.method = std::move(method);
  e.route_shape = JoinBasePath(c.base_path, path);
  e.path = std::move(path);
  e.collection_id = c.id;
  return e;
}

std::vector<std::string> RoutableIds(Store& store) {
  std::vector<RoutableEndpoint> routes = *store.ListRoutableEndpoints();
  std::vector<std::string> ids;
  for (const RoutableEndpoint& r : routes) {
    ids.push_back(r.endpoint_id);
  }
  return ids;
}

TEST(JoinBasePathTest, PrefixesThePathAndARootPathIsTheBaseItself) {
  EXPECT_EQ(JoinBasePath("/v1", "/pets/{id}"), "/v1/pets/{id}");
  EXPECT_EQ(JoinBasePath("/v1", "/"), "/v1");
  EXPECT_EQ(JoinBasePath("", "/pets"), "/pets");
  EXPECT_EQ(JoinBasePath("", "/"), "/");
}

TEST_F(StoreTest, DomainsReadBackListInCreationOrderAndUpdate) {
  DomainRecord a = Domain("a", "api.example.com");
  a.description = "the api";
  ASSERT_TRUE(store_->CreateDomain(a).ok());
  now_ += 1;
  ASSERT_TRUE(store_->CreateDomain(Domain("b", "*.example.org")).ok());
  Result<DomainRecord> got = store_->GetDomain("a");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->host, "api.example.com");
  EXPECT_EQ(got->description, "the api");
  EXPECT_TRUE(got->enabled);
  EXPECT_EQ(got->created_at, now_ - 1);
  std::vector<DomainRecord> all = *store_->ListDomains();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "a");
  EXPECT_EQ(all[1].id, "b");

  now_ += 1;
  got->name = "renamed";
  got->enabled = false;
  ASSERT_TRUE(store_->UpdateDomain(*got).ok());
  DomainRecord updated = *store_->GetDomain("a");
  EXPECT_EQ(updated.name, "renamed");
  EXPECT_FALSE(updated.enabled);
  EXPECT_EQ(updated.updated_at, now_);
  EXPECT_EQ(store_->GetDomain("zz").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->UpdateDomain(Domain("zz", "x.test")).code(), Code::kNotFound);
}

TEST_F(StoreTest, ADuplicateHostIsAlreadyExistsNamingHostAndTheOwner) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "api.example.com")).ok());
  ASSERT_TRUE(store_->CreateDomain(Domain("b", "other.example.com")).ok());
  Status created = store_->CreateDomain(Domain("c", "api.example.com"));
  EXPECT_EQ(created.code(), Code::kAlreadyExists);
  EXPECT_EQ(created.field(), "host");
  EXPECT_EQ(created.message(), "a domain with host api.example.com already exists: a");
  Status updated = store_->UpdateDomain(Domain("b", "api.example.com"));
  EXPECT_EQ(updated.code(), Code::kAlreadyExists);
  EXPECT_EQ(updated.field(), "host");
  EXPECT_EQ(store_->GetDomain("b")->host, "other.example.com");
  EXPECT_EQ(store_->CreateDomain(Domain("a", "new.example.com")).code(), Code::kAlreadyExists);
}

TEST_F(StoreTest, ACollectionNeedsAnExistingDomainAndListsByDomain) {
  Status orphan = store_->CreateCollection(Collection("c0", "nope", ""));
  EXPECT_EQ(orphan.code(), Code::kInvalidArgument);
  EXPECT_EQ(orphan.field(), "domain_id");
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  ASSERT_TRUE(store_->CreateDomain(Domain("b", "b.test")).ok());
  ASSERT_TRUE(store_->CreateCollection(Collection("c1", "a", "/v1")).ok());
  ASSERT_TRUE(store_->CreateCollection(Collection("c2", "b", "")).ok());
  EXPECT_EQ(store_->GetCollection("c1")->base_path, "/v1");
  EXPECT_EQ(store_->ListCollections(std::nullopt)->size(), 2u);
  std::vector<CollectionRecord> of_b = *store_->ListCollections("b");
  ASSERT_EQ(of_b.size(), 1u);
  EXPECT_EQ(of_b[0].id, "c2");
  EXPECT_EQ(store_->GetCollection("zz").status().code(), Code::kNotFound);
  CollectionRecord moved = Collection("c1", "nope", "/v1");
  EXPECT_EQ(store_->UpdateCollection(moved).field(), "domain_id");
}

TEST_F(StoreTest, DeletingADomainDeletesItsCollectionsAndTheirEndpointsOnly) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "/v1");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord member = InCollection(c, "a.test", "GET", "/pets");
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  ASSERT_TRUE(store_->AddVersion(Version(member.id, "h1")).ok());
  EndpointRecord standalone = Created("a.test", "GET", "/other");

  Result<std::vector<std::string>> deleted = store_->DeleteDomain("a");
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, std::vector<std::string>{member.id});
  EXPECT_EQ(store_->GetCollection("c1").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetEndpoint(member.id).status().code(), Code::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM endpoint_versions"), 0);
  EXPECT_TRUE(store_->GetEndpoint(standalone.id).ok());
  EXPECT_EQ(store_->DeleteDomain("a").status().code(), Code::kNotFound);
}

TEST_F(StoreTest, DeletingACollectionReturnsItsEndpointIds) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord one = InCollection(c, "a.test", "GET", "/one");
  EndpointRecord two = InCollection(c, "a.test", "GET", "/two");
  ASSERT_TRUE(store_->CreateEndpoint(one).ok());
  now_ += 1;
  ASSERT_TRUE(store_->CreateEndpoint(two).ok());
  EXPECT_EQ(*store_->DeleteCollection("c1"), (std::vector<std::string>{one.id, two.id}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM endpoints"), 0);
  EXPECT_TRUE(store_->GetDomain("a").ok());
  EXPECT_EQ(store_->DeleteCollection("c1").status().code(), Code::kNotFound);
}

TEST_F(StoreTest, ChangingTheBasePathReshapesTheCollectionsEndpoints) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "/v1");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord pets = InCollection(c, "a.test", "GET", "/pets/{}");
  EndpointRecord root = InCollection(c, "a.test", "GET", "/");
  ASSERT_TRUE(store_->CreateEndpoint(pets).ok());
  ASSERT_TRUE(store_->CreateEndpoint(root).ok());
  EXPECT_EQ(store_->GetEndpoint(root.id)->route_shape, "/v1");

  c.base_path = "/v2/api";
  ASSERT_TRUE(store_->UpdateCollection(c).ok());
  EXPECT_EQ(store_->GetEndpoint(pets.id)->route_shape, "/v2/api/pets/{}");
  EXPECT_EQ(store_->GetEndpoint(root.id)->route_shape, "/v2/api");
  c.base_path = "";
  ASSERT_TRUE(store_->UpdateCollection(c).ok());
  EXPECT_EQ(store_->GetEndpoint(pets.id)->route_shape, "/pets/{}");
  EXPECT_EQ(store_->GetEndpoint(root.id)->route_shape, "/");
}

TEST_F(StoreTest, ABasePathThatCollidesIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "/v1");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord member = InCollection(c, "a.test", "GET", "/pets/{}");
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  EndpointRecord other = Created("a.test", "GET", "/v2/pets/{}");

  CollectionRecord moved = c;
  moved.base_path = "/v2";
  moved.name = "renamed";
  Status status = store_->UpdateCollection(moved);
  EXPECT_EQ(status.code(), Code::kAlreadyExists);
  EXPECT_EQ(status.field(), "base_path");
  EXPECT_NE(status.message().find(other.id), std::string::npos) << status.message();
  CollectionRecord after = *store_->GetCollection("c1");
  EXPECT_EQ(after.base_path, "/v1");
  EXPECT_EQ(after.name, c.name);
  EXPECT_EQ(store_->GetEndpoint(member.id)->route_shape, "/v1/pets/{}");
}

TEST_F(StoreTest, ReshapingWithinACollectionIsNoFalseCollision) {
  // Moving "/a" to "/v2/a" while "/v2/a" moves to "/v2/v2/a": fine once both have moved.
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord first = InCollection(c, "a.test", "GET", "/a");
  EndpointRecord second = InCollection(c, "a.test", "GET", "/v2/a");
  ASSERT_TRUE(store_->CreateEndpoint(first).ok());
  ASSERT_TRUE(store_->CreateEndpoint(second).ok());
  c.base_path = "/v2";
  Status status = store_->UpdateCollection(c);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(store_->GetEndpoint(first.id)->route_shape, "/v2/a");
  EXPECT_EQ(store_->GetEndpoint(second.id)->route_shape, "/v2/v2/a");
}

TEST_F(StoreTest, ANewHostMovesTheDomainsEndpointsUnlessARouteIsTaken) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  CollectionRecord c = Collection("c1", "a", "");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord member = InCollection(c, "a.test", "GET", "/pets");
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  Created("taken.test", "GET", "/pets");

  Status taken = store_->UpdateDomain(Domain("a", "taken.test"));
  EXPECT_EQ(taken.code(), Code::kAlreadyExists);
  EXPECT_EQ(taken.field(), "host");
  EXPECT_EQ(store_->GetDomain("a")->host, "a.test");
  EXPECT_EQ(store_->GetEndpoint(member.id)->domain, "a.test");

  ASSERT_TRUE(store_->UpdateDomain(Domain("a", "b.test")).ok());
  EXPECT_EQ(store_->GetEndpoint(member.id)->domain, "b.test");
}

TEST_F(StoreTest, MovingACollectionToAnotherDomainMovesItsEndpoints) {
  ASSERT_TRUE(store_->CreateDomain(Domain("a", "a.test")).ok());
  ASSERT_TRUE(store_->CreateDomain(Domain("b", "b.test")).ok());
  CollectionRecord c = Collection("c1", "a", "/v1");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord member = InCollection(c, "a.test", "GET", "/pets");
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  c.domain_id = "b";
  ASSERT_TRUE(store_->UpdateCollection(c).ok());
  EndpointRecord moved = *store_->GetEndpoint(member.id);
  EXPECT_EQ(moved.domain, "b.test");
  EXPECT_EQ(moved.route_shape, "/v1/pets");
}

TEST_F(StoreTest, RoutableEndpointsFollowTheEnableSwitchesOfCollectionAndDomain) {
  DomainRecord a = Domain("a", "a.test");
  ASSERT_TRUE(store_->CreateDomain(a).ok());
  CollectionRecord c = Collection("c1", "a", "/v1");
  ASSERT_TRUE(store_->CreateCollection(c).ok());
  EndpointRecord member = InCollection(c, "a.test", "GET", "/pets");
  ASSERT_TRUE(store_->CreateEndpoint(member).ok());
  now_ += 1;
  EndpointRecord by_host = Created("a.test", "GET", "/plain");
  now_ += 1;
  EndpointRecord elsewhere = Created("*", "GET", "/any");
  now_ += 1;
  EndpointRecord stopped = Created("*", "GET", "/stopped");
  for (const auto* e : {&member, &by_host, &elsewhere}) {
    ASSERT_TRUE(store_->SetEndpointStatus(e->id, "running", 1).ok());
  }
  std::vector<RoutableEndpoint> routes = *store_->ListRoutableEndpoints();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].endpoint_id, member.id);
  EXPECT_EQ(routes[0].host, "a.test");
  EXPECT_EQ(routes[0].base_path, "/v1");
  EXPECT_EQ(routes[0].path, "/pets");
  EXPECT_EQ(routes[1].base_path, "");

  c.enabled = false;
  ASSERT_TRUE(store_->UpdateCollection(c).ok());
  EXPECT_EQ(RoutableIds(*store_), (std::vector<std::string>{by_host.id, elsewhere.id}));
  c.enabled = true;
  ASSERT_TRUE(store_->UpdateCollection(c).ok());
  a.enabled = false;
  ASSERT_TRUE(store_->UpdateDomain(a).ok());
  EXPECT_EQ(RoutableIds(*store_), std::vector<std::string>{elsewhere.id});
  a.enabled = true;
  ASSERT_TRUE(store_->UpdateDomain(a).ok());
  EXPECT_EQ(RoutableIds(*store_).size(), 3u);
}


// ---- Services and bindings ----

ServiceRecord Service(std::string id, std::string name) {
  ServiceRecord s;
  s.id = std::move(id);
  s.name = std::move(name);
  s.service_type = "redis";
  s.config = R"({"host":"127.0.0.1","password":"p"})";
  return s;
}

TEST_F(StoreTest, ServicesReadBackAndNamesAreUnique) {
  ASSERT_TRUE(store_->CreateService(Service("s1", "cache")).ok());
  Result<ServiceRecord> got = store_->GetService("s1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "cache");
  EXPECT_EQ(got->config, R"({"host":"127.0.0.1","password":"p"})");
  EXPECT_FALSE(got->enabled);
  Status taken = store_->CreateService(Service("s2", "cache"));
  EXPECT_EQ(taken.code(), base::Code::kAlreadyExists);
  EXPECT_EQ(taken.field(), "name");
  EXPECT_NE(taken.message().find("s1"), std::string::npos);
  got->enabled = true;
  got->config = "{}";
  ASSERT_TRUE(store_->UpdateService(*got).ok());
  EXPECT_TRUE(store_->GetService("s1")->enabled);
  EXPECT_EQ(store_->ListServices()->size(), 1u);
  EXPECT_EQ(store_->GetService("nope").status().code(), base::Code::kNotFound);
}

TEST_F(StoreTest, BoundServicesCannotBeDeletedAndBindingsGoWithTheirEndpoint) {
  ASSERT_TRUE(store_->CreateEndpoint(Endpoint("*", "GET", "/a")).ok());
  std::string endpoint = store_->ListEndpoints({})->front().id;
  ASSERT_TRUE(store_->CreateService(Service("s1", "cache")).ok());
  ASSERT_TRUE(store_->CreateService(Service("s2", "db")).ok());
  ASSERT_TRUE(store_->BindService({endpoint, "s1", "main"}).ok());
  Status same_name = store_->BindService({endpoint, "s2", "main"});
  EXPECT_EQ(same_name.code(), base::Code::kAlreadyExists);
  EXPECT_EQ(same_name.field(), "pool_id");
  ASSERT_TRUE(store_->BindService({endpoint, "s1", "renamed"}).ok());  // re-bind: new pool_id
  ASSERT_EQ(store_->ListBindingsOfEndpoint(endpoint)->size(), 1u);
  EXPECT_EQ(store_->ListBindingsOfEndpoint(endpoint)->front().pool_id, "renamed");
  EXPECT_EQ(store_->BindService({endpoint, "nope", "x"}).code(), base::Code::kNotFound);
  EXPECT_EQ(store_->BindService({"nope", "s1", "x"}).code(), base::Code::kNotFound);

  Status bound = store_->DeleteService("s1");
  EXPECT_EQ(bound.code(), base::Code::kFailedPrecondition);
  EXPECT_NE(bound.message().find(endpoint), std::string::npos);
  ASSERT_TRUE(store_->DeleteEndpoint(endpoint).ok());
  EXPECT_TRUE(store_->ListBindings()->empty());
  EXPECT_TRUE(store_->DeleteService("s1").ok());
  EXPECT_EQ(store_->UnbindService(endpoint, "s2").code(), base::Code::kNotFound);
}

}  // namespace
}  // namespace edgegate::store
