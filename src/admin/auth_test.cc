// Tests for scopes (validation, ScopesAllow, ScopesCover), expiry parsing, and KeyRing key
// management against a real store in a temp directory, with an injected wall clock.
#include "admin/auth.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "admin/keys_api.h"
#include "base/random.h"
#include "base/test_util.h"

namespace edgegate::admin {
namespace {

using base::Code;
using Scopes = std::vector<std::string>;

TEST(ValidateScopeTest, AcceptsStarAndEveryResourceWithEveryAccess) {
  EXPECT_TRUE(ValidateScope("*").ok());
  for (std::string_view resource : kScopeResources) {
    for (std::string_view access : {"read", "write", "*"}) {
      std::string scope = std::string(resource) + ":" + std::string(access);
      EXPECT_TRUE(ValidateScope(scope).ok()) << scope;
    }
  }
}

TEST(ValidateScopeTest, RejectsMalformedOrUnknownScopesNamingTheField) {
  for (const char* scope : {"", "endpoints", "endpoints:", "endpoints:delete", "widgets:read",
                            ":read", "Endpoints:read", "endpoints:read ", "*:read", "**"}) {
    base::Status status = ValidateScope(scope);
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << scope;
    EXPECT_EQ(status.field(), "scopes") << scope;
  }
}

TEST(ValidateScopesTest, RejectsAnEmptyListAndDuplicates) {
  EXPECT_EQ(ValidateScopes({}).field(), "scopes");
  EXPECT_EQ(ValidateScopes({"keys:read", "keys:read"}).field(), "scopes");
  EXPECT_TRUE(ValidateScopes({"keys:read", "endpoints:*"}).ok());
}

TEST(ScopesAllowTest, StarAllowsEverything) {
  EXPECT_TRUE(ScopesAllow({"*"}, "services:write"));
}

TEST(ScopesAllowTest, WriteImpliesReadButNotTheOtherWay) {
  EXPECT_TRUE(ScopesAllow({"endpoints:write"}, "endpoints:read"));
  EXPECT_FALSE(ScopesAllow({"endpoints:read"}, "endpoints:write"));
}

TEST(ScopesAllowTest, ResourceStarAllowsReadAndWriteOfThatResourceOnly) {
  EXPECT_TRUE(ScopesAllow({"keys:*"}, "keys:read"));
  EXPECT_TRUE(ScopesAllow({"keys:*"}, "keys:write"));
  EXPECT_FALSE(ScopesAllow({"keys:*"}, "endpoints:read"));
}

TEST(ScopesAllowTest, AScopeForOneResourceDoesNotAllowAnother) {
  EXPECT_FALSE(ScopesAllow({"endpoints:read"}, "services:read"));
  EXPECT_FALSE(ScopesAllow({"endpoints:write"}, "keys:read"));
  EXPECT_FALSE(ScopesAllow({}, "endpoints:read"));
}

TEST(ScopesCoverTest, OnlyStarCoversStar) {
  EXPECT_TRUE(ScopesCover({"*"}, {"*"}));
  Scopes every_resource;
  for (std::string_view r : kScopeResources) every_resource.push_back(std::string(r) + ":*");
  EXPECT_FALSE(ScopesCover(every_resource, {"*"}));
}

TEST(ScopesCoverTest, ResourceStarNeedsReadAndWrite) {
  EXPECT_TRUE(ScopesCover({"endpoints:write"}, {"endpoints:*"}));  // write implies read
  EXPECT_FALSE(ScopesCover({"endpoints:read"}, {"endpoints:*"}));
  EXPECT_TRUE(ScopesCover({"endpoints:*"}, {"endpoints:read", "endpoints:write"}));
}

TEST(ScopesCoverTest, EveryGrantedScopeMustBeHeld) {
  EXPECT_TRUE(ScopesCover({"keys:write", "endpoints:read"}, {"endpoints:read"}));
  EXPECT_FALSE(ScopesCover({"keys:write", "endpoints:read"}, {"endpoints:read", "keys:*",
                                                              "services:read"}));
}

TEST(ParseIsoTimestampTest, ReadsUtcAndOffsets) {
  EXPECT_EQ(*ParseIsoTimestamp("1970-01-01T00:00:00Z", "f"), 0);
  EXPECT_EQ(*ParseIsoTimestamp("2026-01-31T12:00:00Z", "f"), 1769860800000);
  EXPECT_EQ(*ParseIsoTimestamp("2026-01-31T13:00:00.250+01:00", "f"), 1769860800250);
  EXPECT_EQ(*ParseIsoTimestamp("2026-01-31 11:30:00.1234-00:30", "f"), 1769860800123);
}

TEST(ParseIsoTimestampTest, RejectsMalformedDatesNamingTheField) {
  for (const char* text : {"", "2026-01-31", "2026-01-31T12:00:00", "2026-02-30T00:00:00Z",
                           "2026-01-31T24:00:00Z", "2026-01-31T12:00:00.Z", "2026-1-31T12:00:00Z",
                           "2026-01-31T12:00:00+1:00", "2026-01-31T12:00:00Zjunk", "tomorrow"}) {
    auto parsed = ParseIsoTimestamp(text, "expires_at");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().field(), "expires_at") << text;
  }
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.now_ms = [this] { return now_ms_; };
    auto opened = store::Store::Open(dir_.path() / "edgegate.db", std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    keys_ = std::make_unique<KeyRing>(*store_, [this] { return now_ms_; });
    auto admin = keys_->Create({"admin", {"*"}, std::nullopt}, kRoot);
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    admin_ = *admin;
  }

  // Creates a key as the root principal; fails the test on error.
  CreatedKey MustCreate(Scopes scopes, std::optional<int64_t> expires_at = std::nullopt) {
    auto created = keys_->Create({"test", std::move(scopes), expires_at}, kRoot);
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.ok() ? *created : CreatedKey{};
  }

  base::Result<Principal> Auth(const std::string& key) { return keys_->Authenticate("Bearer " + key); }

  const Principal kRoot{"root", {"*"}};
  int64_t now_ms_ = 1'800'000'000'000;
  base::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<KeyRing> keys_;
  CreatedKey admin_;
};

TEST_F(KeyRingTest, CreatedKeysAreLongRandomAndStoredOnlyAsTheirHash) {
  CreatedKey a = MustCreate({"endpoints:read"});
  CreatedKey b = MustCreate({"endpoints:read"});
  EXPECT_EQ(a.key.size(), 3u + 48u);
  EXPECT_TRUE(a.key.starts_with("eg_"));
  EXPECT_NE(a.key, b.key);
  EXPECT_EQ(a.record.key_hash, base::Sha256Hex(a.key));
  EXPECT_EQ(a.record.prefix, a.key.substr(0, 8));
  auto found = keys_->Get(a.record.id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->key_hash, base::Sha256Hex(a.key));
  EXPECT_EQ(found->scopes, Scopes{"endpoints:read"});
}

TEST_F(KeyRingTest, ACreatedKeyAuthenticatesWithItsScopes) {
  CreatedKey key = MustCreate({"endpoints:read", "keys:*"});
  auto principal = Auth(key.key);
  ASSERT_TRUE(principal.ok()) << principal.status().message();
  EXPECT_EQ(principal->key_id, key.record.id);
  EXPECT_EQ(principal->scopes, (Scopes{"endpoints:read", "keys:*"}));
}

TEST_F(KeyRingTest, CreateValidatesLabelScopesAndExpiry) {
  EXPECT_EQ(keys_->Create({"", {"*"}, std::nullopt}, kRoot).status().field(), "label");
  EXPECT_EQ(keys_->Create({"x", {"nope"}, std::nullopt}, kRoot).status().field(), "scopes");
  EXPECT_EQ(keys_->Create({"x", {}, std::nullopt}, kRoot).status().field(), "scopes");
  EXPECT_EQ(keys_->Create({"x", {"*"}, now_ms_}, kRoot).status().field(), "expires_at");
}

TEST_F(KeyRingTest, AKeyCannotGrantScopesItDoesNotHold) {
  Principal keys_writer{"w", {"keys:write", "endpoints:read"}};
  EXPECT_EQ(keys_->Create({"x", {"*"}, std::nullopt}, keys_writer).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(keys_->Create({"x", {"endpoints:write"}, std::nullopt}, keys_writer).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(keys_->Create({"x", {"endpoints:read", "keys:*"}, std::nullopt}, keys_writer).ok());
}

TEST_F(KeyRingTest, AKeyCannotManageAKeyWithScopesItDoesNotHold) {
  Principal keys_writer{"w", {"keys:write"}};
  MustCreate({"*"});  // so the admin key is not the last one
  EXPECT_EQ(keys_->Delete(admin_.record.id, keys_writer).code(), Code::kPermissionDenied);
  EXPECT_EQ(keys_->SetEnabled(admin_.record.id, false, keys_writer).status().code(),
            Code::kPermissionDenied);
  CreatedKey small = MustCreate({"keys:read"});
  EXPECT_TRUE(keys_->SetEnabled(small.record.id, false, keys_writer).ok());
}

TEST_F(KeyRingTest, DisabledKeysAreRejectedUntilEnabledAgain) {
  CreatedKey key = MustCreate({"endpoints:read"});
  ASSERT_TRUE(keys_->SetEnabled(key.record.id, false, kRoot).ok());
  EXPECT_EQ(Auth(key.key).status().message(), "API key is disabled");
  ASSERT_TRUE(keys_->SetEnabled(key.record.id, true, kRoot).ok());
  EXPECT_TRUE(Auth(key.key).ok());
}

TEST_F(KeyRingTest, DeletedKeysAreRejected) {
  CreatedKey key = MustCreate({"endpoints:read"});
  ASSERT_TRUE(keys_->Delete(key.record.id, kRoot).ok());
  EXPECT_EQ(Auth(key.key).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(keys_->Delete(key.record.id, kRoot).code(), Code::kNotFound);
  EXPECT_EQ(keys_->Get(key.record.id).status().code(), Code::kNotFound);
}

TEST_F(KeyRingTest, KeysExpireAtTheirExpiry) {
  CreatedKey key = MustCreate({"endpoints:read"}, now_ms_ + 1000);
  EXPECT_TRUE(Auth(key.key).ok());
  now_ms_ += 1000;
  EXPECT_EQ(Auth(key.key).status().message(), "API key has expired");
  EXPECT_TRUE(keys_->Expired(*keys_->Get(key.record.id)));
}

TEST_F(KeyRingTest, TheLastUsableStarKeyCannotBeDisabledOrDeleted) {
  EXPECT_EQ(keys_->Delete(admin_.record.id, kRoot).code(), Code::kFailedPrecondition);
  EXPECT_EQ(keys_->SetEnabled(admin_.record.id, false, kRoot).status().code(),
            Code::kFailedPrecondition);
  // An expired or disabled second '*' key does not count as a way back in.
  CreatedKey expiring = MustCreate({"*"}, now_ms_ + 10);
  CreatedKey other = MustCreate({"*"});
  ASSERT_TRUE(keys_->SetEnabled(other.record.id, false, kRoot).ok());
  now_ms_ += 10;
  EXPECT_EQ(keys_->Delete(admin_.record.id, kRoot).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(keys_->SetEnabled(other.record.id, true, kRoot).ok());
  EXPECT_TRUE(keys_->Delete(admin_.record.id, kRoot).ok());
  EXPECT_TRUE(keys_->Delete(expiring.record.id, kRoot).ok());  // not usable: not guarded
}

}  // namespace
}  // namespace edgegate::admin
