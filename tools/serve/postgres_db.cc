// SqlConnection on PostgreSQL through libpq: `?` placeholders become $1, $2, ...; values
// travel as text, blobs as binary parameters; BYTEA results are read in binary.
#include <libpq-fe.h>

#include <cstring>
#include <string>

#include "sql.h"

namespace handtrack::serve {
namespace {

constexpr char kNow[] = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

// `?` -> $N outside quoted strings; {now} -> the server clock.
std::string Expand(std::string_view sql) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += "$" + std::to_string(++n);
    } else if (!quoted && sql.substr(i, 5) == "{now}") {
      out += kNow;
      i += 4;
    } else {
      out += c;
    }
  }
  return out;
}

std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

class PostgresConnection : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Status Begin() override { return Simple("BEGIN"); }
  Status Commit() override { return Simple("COMMIT"); }
  void Rollback() override { (void)Simple("ROLLBACK"); }

  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override {
    HT_ASSIGN_OR_RETURN(PGresult * result, Run(sql, params, 0));
    std::vector<SqlRow> rows(PQntuples(result));
    const int columns = PQnfields(result);
    for (int r = 0; r < PQntuples(result); ++r) {
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result, r, c)) {
          rows[r].columns.emplace_back(std::nullopt);
        } else {
          rows[r].columns.emplace_back(std::string(PQgetvalue(result, r, c), PQgetlength(result, r, c)));
        }
      }
    }
    PQclear(result);
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) override {
    HT_ASSIGN_OR_RETURN(PGresult * result, Run(sql, params, 0));
    const char* tuples = PQcmdTuples(result);
    const int64_t n = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
    PQclear(result);
    return n;
  }

  Result<std::optional<std::string>> QueryBytes(std::string_view sql,
                                                const std::vector<SqlValue>& params) override {
    HT_ASSIGN_OR_RETURN(PGresult * result, Run(sql, params, 1));
    std::optional<std::string> out;
    if (PQntuples(result) > 0 && !PQgetisnull(result, 0, 0)) {
      out = std::string(PQgetvalue(result, 0, 0), PQgetlength(result, 0, 0));
    }
    PQclear(result);
    return out;
  }

  bool LastErrorWasUniqueViolation() const override { return last_state_ == "23505"; }

 private:
  Status Simple(const char* sql) {
    auto result = Run(sql, {}, 0);
    if (!result.ok()) return result.status();
    PQclear(*result);
    return Status::Ok();
  }

  Result<PGresult*> Run(std::string_view sql, const std::vector<SqlValue>& params, int result_format) {
    const std::string text = Expand(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values[i] = nullptr;
        continue;
      }
      if (const auto* n = std::get_if<int64_t>(&v)) {
        storage[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        storage[i] = std::to_string(*d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        storage[i] = *s;
      } else {
        const SqlBlob& b = std::get<SqlBlob>(v);
        values[i] = b.bytes.data();
        lengths[i] = static_cast<int>(b.bytes.size());
        formats[i] = 1;
        continue;
      }
      values[i] = storage[i].c_str();
      lengths[i] = static_cast<int>(storage[i].size());
    }
    last_state_.clear();
    PGresult* result = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                    values.data(), lengths.data(), formats.data(), result_format);
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    last_state_ = state ? state : "";
    std::string message = OneLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    PQclear(result);
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);  // the next statement tries again
    return UnavailableError("failed to run SQL statement on PostgreSQL: " + message);
  }

  PGconn* conn_;
  std::string last_state_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& address) {
  PGconn* conn = PQconnectdb(address.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return UnavailableError("failed to connect to PostgreSQL: " + message);
  }
  auto connection = std::make_unique<PostgresConnection>(conn);
  HT_RETURN_IF_ERROR(connection->Execute("SET client_min_messages TO WARNING", {}).status());
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace handtrack::serve
