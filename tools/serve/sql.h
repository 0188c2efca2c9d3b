// A small SQL driver interface with two implementations, SQLite (sqlite_db.cc) and
// PostgreSQL (postgres_db.cc, libpq), so that the session store (store.cc) is written
// once. Statements use `?` placeholders; the PostgreSQL driver numbers them ($1, $2, ...).
// `{now}` in a statement is the database's clock in milliseconds since the epoch, so
// that leases of workers on several machines are judged by one clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "handtrack/status.h"

namespace handtrack::serve {

struct SqlBlob {
  std::string_view bytes;
};
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string, SqlBlob>;

// One result row, every column as text (NULL: nullopt).
struct SqlRow {
  std::vector<std::optional<std::string>> columns;
  bool IsNull(size_t i) const { return i >= columns.size() || !columns[i].has_value(); }
  std::string Text(size_t i) const { return IsNull(i) ? std::string() : *columns[i]; }
  int64_t Int(size_t i) const;
  double Real(size_t i) const;
};

enum class SqlDialect { kSqlite, kPostgres };

// One connection; serves one thread at a time.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;
  // Starts a transaction that will write (SQLite: BEGIN IMMEDIATE).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  // Runs a statement; the rows it returns (SELECT, RETURNING), every column as text.
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) = 0;
  // Runs a statement; the number of rows it changed.
  virtual Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) = 0;
  // The first column of the first row as raw bytes (a BLOB/BYTEA), nullopt without rows.
  virtual Result<std::optional<std::string>> QueryBytes(std::string_view sql,
                                                        const std::vector<SqlValue>& params) = 0;
  // True for a uniqueness violation as the last error (a second insert of one key).
  virtual bool LastErrorWasUniqueViolation() const = 0;
};

// Opens a connection: "postgresql://..." or "postgres://..." (a libpq URI) for PostgreSQL,
// otherwise a path of an SQLite file (created when missing; WAL mode).
Result<std::unique_ptr<SqlConnection>> OpenSqlConnection(const std::string& address);

bool IsPostgresAddress(std::string_view address);

// Scope guard: rolls back unless committed.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConnection* db) : db_(db) {}
  ~SqlTransaction() {
    if (open_) db_->Rollback();
  }
  Status Begin() {
    Status s = db_->Begin();
    open_ = s.ok();
    return s;
  }
  Status Commit() {
    open_ = false;
    return db_->Commit();
  }

 private:
  SqlConnection* db_;
  bool open_ = false;
};

}  // namespace handtrack::serve
