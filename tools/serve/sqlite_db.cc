// SqlConnection on SQLite (WAL, synchronous=FULL, a busy timeout so that connections of
// several threads and processes take turns).
#include <sqlite3.h>

#include <cstdlib>
#include <string>

#include "sql.h"

namespace handtrack::serve {
namespace {

constexpr char kNow[] = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

std::string Expand(std::string_view sql) {
  std::string out(sql);
  for (size_t at; (at = out.find("{now}")) != std::string::npos;) out.replace(at, 5, kNow);
  return out;
}

class SqliteConnection : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return Exec("COMMIT"); }
  void Rollback() override { (void)Exec("ROLLBACK"); }

  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::vector<SqlRow> rows;
    HT_RETURN_IF_ERROR(Run(sql, params, [&](sqlite3_stmt* stmt) {
      SqlRow row;
      const int n = sqlite3_column_count(stmt);
      for (int i = 0; i < n; ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
          row.columns.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          row.columns.emplace_back(std::string(text, sqlite3_column_bytes(stmt, i)));
        }
      }
      rows.push_back(std::move(row));
    }));
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) override {
    HT_RETURN_IF_ERROR(Run(sql, params, [](sqlite3_stmt*) {}));
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<std::optional<std::string>> QueryBytes(std::string_view sql,
                                                const std::vector<SqlValue>& params) override {
    std::optional<std::string> out;
    HT_RETURN_IF_ERROR(Run(sql, params, [&](sqlite3_stmt* stmt) {
      if (out) return;
      const void* data = sqlite3_column_blob(stmt, 0);
      out = std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt, 0));
    }));
    return out;
  }

  bool LastErrorWasUniqueViolation() const override {
    return last_extended_ == SQLITE_CONSTRAINT_UNIQUE || last_extended_ == SQLITE_CONSTRAINT_PRIMARYKEY;
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      return UnavailableError("failed to run '" + std::string(sql) + "' on SQLite: " + message);
    }
    return Status::Ok();
  }

 private:
  template <typename OnRow>
  Status Run(std::string_view sql, const std::vector<SqlValue>& params, OnRow on_row) {
    const std::string text = Expand(sql);
    sqlite3_stmt* stmt = nullptr;
    last_extended_ = 0;
    if (sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &stmt, nullptr) != SQLITE_OK) {
      return InternalError("failed to prepare SQL statement: " + std::string(sqlite3_errmsg(db_)));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        sqlite3_bind_null(stmt, at);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, at, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, at, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt, at, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      } else {
        const SqlBlob& b = std::get<SqlBlob>(v);
        sqlite3_bind_blob(stmt, at, b.bytes.data(), static_cast<int>(b.bytes.size()), SQLITE_STATIC);
      }
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(stmt);
    Status status = Status::Ok();
    if (rc != SQLITE_DONE) {
      last_extended_ = sqlite3_extended_errcode(db_);
      status = UnavailableError("failed to run SQL statement on SQLite: " + std::string(sqlite3_errmsg(db_)));
    }
    sqlite3_finalize(stmt);
    return status;
  }

  sqlite3* db_;
  int last_extended_ = 0;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return UnavailableError("failed to open database " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, 30000);
  auto connection = std::make_unique<SqliteConnection>(db);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    HT_RETURN_IF_ERROR(connection->Exec(pragma).WithPrefix("failed to open database " + path));
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace handtrack::serve
