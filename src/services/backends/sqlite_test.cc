// The SQLite backend through its Connection: typed values, bound parameters, errors, execute.
#include <gtest/gtest.h>

#include "base/test_util.h"
#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = SqliteType().connect(json::object{{"path", (dir_.path() / "t.db").string()}});
    ASSERT_TRUE(c.ok()) << c.status().message();
    db_ = std::move(c).value();
    Must("execute", {"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, x REAL)"});
  }
  json::value Must(std::string_view op, json::array args) {
    auto r = db_->Call(op, args);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : json::value();
  }

  base::TempDir dir_;
  std::unique_ptr<Connection> db_;
};

TEST_F(SqliteTest, RoundTripsTypedValuesAndBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  json::value ins = Must("execute", {"INSERT INTO t (name, data, x) VALUES (?, CAST(? AS BLOB), ?)",
                                     "Grüße 世界", json::string(bytes), 2.5});
  EXPECT_EQ(ins.at("affected_rows").as_int64(), 1);
  EXPECT_EQ(ins.at("last_insert_id").as_int64(), 1);
  Must("execute", {"INSERT INTO t (name) VALUES (?)", nullptr});
  json::value q = Must("query", {"SELECT id, name, data, x FROM t ORDER BY id"});
  EXPECT_EQ(q.at("columns"), json::array({"id", "name", "data", "x"}));
  const json::array& rows = q.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].as_array()[0].as_int64(), 1);
  EXPECT_EQ(rows[0].as_array()[1].as_string(), "Grüße 世界");
  EXPECT_EQ(rows[0].as_array()[2].as_string(), json::string(bytes));
  EXPECT_EQ(rows[0].as_array()[3].as_double(), 2.5);
  EXPECT_TRUE(rows[1].as_array()[1].is_null());
}

TEST_F(SqliteTest, ParametersAreNeverSpliced) {
  std::string evil = "x'); DROP TABLE t; --";
  Must("execute", {"INSERT INTO t (name) VALUES (?)", json::string(evil)});
  json::value q = Must("query", {"SELECT name FROM t WHERE name = ?", json::string(evil)});
  EXPECT_EQ(q.at("rows").as_array().size(), 1u);
}

TEST_F(SqliteTest, ErrorsCarrySqlitesMessage) {
  auto syntax = db_->Call("query", {"SELEC 1"});
  EXPECT_EQ(syntax.status().code(), base::Code::kBackendError);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos);
  auto count = db_->Call("query", {"SELECT ?", 1, 2});
  EXPECT_EQ(count.status().code(), base::Code::kInvalidArgument);
  auto two = db_->Call("execute", {"DELETE FROM t; DROP TABLE t"});
  EXPECT_EQ(two.status().code(), base::Code::kInvalidArgument);
  auto unique = db_->Call("execute", {"INSERT INTO t (id) VALUES (1), (1)"});
  EXPECT_EQ(unique.status().code(), base::Code::kBackendError);
  EXPECT_TRUE(db_->Ping().ok());
}

}  // namespace
}  // namespace edgegate::services::backends
