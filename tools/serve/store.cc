#include "store.h"

#include <filesystem>
#include <fstream>

namespace handtrack::serve {
namespace {

constexpr char kColumns[] =
    "id, name, options, overlay, state, created_ms, COALESCE(started_ms, 0), COALESCE(finished_ms, 0), "
    "frames_done, frames_total, attempts, max_attempts, processing_ms, video_bytes, COALESCE(error, ''), "
    "COALESCE(lease_owner, '')";

Session FromRow(const SqlRow& row) {
  Session s;
  s.id = row.Text(0);
  s.name = row.Text(1);
  s.options = row.Text(2);
  s.overlay = row.Int(3) != 0;
  s.state = row.Text(4);
  s.created_ms = row.Int(5);
  s.started_ms = row.Int(6);
  s.finished_ms = row.Int(7);
  s.frames_done = row.Int(8);
  s.frames_total = row.Int(9);
  s.attempts = row.Int(10);
  s.max_attempts = row.Int(11);
  s.processing_ms = row.Int(12);
  s.video_bytes = row.Int(13);
  s.error = row.Text(14);
  s.worker = row.Text(15);
  return s;
}

}  // namespace

int64_t SqlRow::Int(size_t i) const { return IsNull(i) ? 0 : std::strtoll(columns[i]->c_str(), nullptr, 10); }
double SqlRow::Real(size_t i) const { return IsNull(i) ? 0 : std::strtod(columns[i]->c_str(), nullptr); }

std::string PageToken(const Session& session) {
  return std::to_string(session.created_ms) + "_" + session.id;
}

Result<std::unique_ptr<SessionStore>> SessionStore::Open(const std::string& address) {
  HT_ASSIGN_OR_RETURN(auto db, OpenSqlConnection(address));
  std::unique_ptr<SessionStore> store(new SessionStore(std::move(db)));
  HT_RETURN_IF_ERROR(store->CreateSchema());
  return store;
}

Status SessionStore::CreateSchema() {
  const bool pg = db_->dialect() == SqlDialect::kPostgres;
  const std::string blob = pg ? "BYTEA" : "BLOB";
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  // Several processes may start at once: PostgreSQL's CREATE ... IF NOT EXISTS races.
  if (pg) HT_RETURN_IF_ERROR(db_->Query("SELECT pg_advisory_xact_lock(7306321)", {}).status());
  const std::string statements[] = {
      "CREATE TABLE IF NOT EXISTS sessions ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, options TEXT NOT NULL, overlay INTEGER NOT NULL,"
      " idempotency_key TEXT UNIQUE, state TEXT NOT NULL, created_ms BIGINT NOT NULL,"
      " started_ms BIGINT, finished_ms BIGINT, frames_done BIGINT NOT NULL DEFAULT 0,"
      " frames_total BIGINT NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
      " max_attempts INTEGER NOT NULL, lease_owner TEXT, lease_token BIGINT NOT NULL DEFAULT 0,"
      " lease_expires_ms BIGINT, recoveries INTEGER NOT NULL DEFAULT 0, processing_ms BIGINT NOT NULL "
      "DEFAULT 0,"
      " video_bytes BIGINT NOT NULL DEFAULT 0, error TEXT)",
      "CREATE INDEX IF NOT EXISTS sessions_by_state ON sessions (state, created_ms)",
      "CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (created_ms, id)",
      "CREATE TABLE IF NOT EXISTS media (session_id TEXT NOT NULL, kind TEXT NOT NULL, size BIGINT NOT NULL,"
      " chunks BIGINT NOT NULL, PRIMARY KEY (session_id, kind))",
      "CREATE TABLE IF NOT EXISTS chunks (session_id TEXT NOT NULL, kind TEXT NOT NULL, seq BIGINT NOT NULL,"
      " data " +
          blob + " NOT NULL, PRIMARY KEY (session_id, kind, seq))",
  };
  for (const std::string& sql : statements) {
    HT_RETURN_IF_ERROR(db_->Execute(sql, {}).status().WithPrefix("failed to create the database tables"));
  }
  return txn.Commit();
}

Status SessionStore::InsertBlobFromFile(const std::string& id, const std::string& kind,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("failed to read " + kind + " of session " + id + ": cannot open " + path);
  std::string chunk(kBlobChunkBytes, '\0');
  int64_t size = 0, seq = 0;
  while (true) {
    in.read(chunk.data(), kBlobChunkBytes);
    const std::streamsize got = in.gcount();
    if (got == 0 && seq > 0) break;
    HT_RETURN_IF_ERROR(db_->Execute("INSERT INTO chunks (session_id, kind, seq, data) VALUES (?, ?, ?, ?)",
                                    {id, kind, seq, SqlBlob{std::string_view(chunk.data(), got)}})
                           .status());
    size += got;
    ++seq;
    if (got < kBlobChunkBytes) break;
  }
  if (in.bad()) return InternalError("failed to read " + path);
  return db_
      ->Execute("INSERT INTO media (session_id, kind, size, chunks) VALUES (?, ?, ?, ?)",
                {id, kind, size, seq})
      .status();
}

Result<Session> SessionStore::Create(const NewSession& s, const std::string& video_path, bool* existed) {
  *existed = false;
  if (!s.idempotency_key.empty()) {
    HT_ASSIGN_OR_RETURN(auto found, FindByIdempotencyKey(s.idempotency_key));
    if (found) {
      *existed = true;
      return *found;
    }
  }
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  std::error_code ec;
  const int64_t bytes = static_cast<int64_t>(std::filesystem::file_size(video_path, ec));
  auto inserted = db_->Execute(
      "INSERT INTO sessions (id, name, options, overlay, idempotency_key, state, created_ms, max_attempts,"
      " frames_total, video_bytes) VALUES (?, ?, ?, ?, ?, 'queued', {now}, ?, ?, ?)",
      {s.id, s.name, s.options, int64_t{s.overlay},
       s.idempotency_key.empty() ? SqlValue(nullptr) : s.idempotency_key, s.max_attempts, s.frames_total,
       ec ? int64_t{0} : bytes});
  if (!inserted.ok()) {
    const bool duplicate = db_->LastErrorWasUniqueViolation();
    db_->Rollback();
    (void)txn;
    if (duplicate && !s.idempotency_key.empty()) {
      HT_ASSIGN_OR_RETURN(auto found, FindByIdempotencyKey(s.idempotency_key));
      if (found) {
        *existed = true;
        return *found;
      }
    }
    return inserted.status().WithPrefix("failed to create session");
  }
  HT_RETURN_IF_ERROR(
      InsertBlobFromFile(s.id, kVideoBlob, video_path).WithPrefix("failed to store the video"));
  HT_RETURN_IF_ERROR(txn.Commit().WithPrefix("failed to create session"));
  HT_ASSIGN_OR_RETURN(auto created, Get(s.id));
  if (!created) return InternalError("failed to create session " + s.id + ": it vanished after its commit");
  return *created;
}

Result<std::optional<Session>> SessionStore::Get(const std::string& id) {
  HT_ASSIGN_OR_RETURN(auto rows,
                      db_->Query(std::string("SELECT ") + kColumns + " FROM sessions WHERE id = ?", {id}));
  if (rows.empty()) return std::optional<Session>();
  return std::optional<Session>(FromRow(rows[0]));
}

Result<std::optional<Session>> SessionStore::FindByIdempotencyKey(const std::string& key) {
  HT_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query(std::string("SELECT ") + kColumns + " FROM sessions WHERE idempotency_key = ?", {key}));
  if (rows.empty()) return std::optional<Session>();
  return std::optional<Session>(FromRow(rows[0]));
}

Result<std::vector<Session>> SessionStore::List(int limit, const std::string& after) {
  std::vector<SqlRow> rows;
  const std::string select = std::string("SELECT ") + kColumns + " FROM sessions ";
  const std::string order = " ORDER BY created_ms DESC, id DESC LIMIT ?";
  if (after.empty()) {
    HT_ASSIGN_OR_RETURN(rows, db_->Query(select + order, {int64_t{limit}}));
  } else {
    const size_t cut = after.find('_');
    const int64_t created = std::strtoll(after.substr(0, cut).c_str(), nullptr, 10);
    const std::string id = cut == std::string::npos ? "" : after.substr(cut + 1);
    HT_ASSIGN_OR_RETURN(rows,
                        db_->Query(select + "WHERE created_ms < ? OR (created_ms = ? AND id < ?)" + order,
                                   {created, created, id, int64_t{limit}}));
  }
  std::vector<Session> out;
  for (const SqlRow& row : rows) out.push_back(FromRow(row));
  return out;
}

Result<bool> SessionStore::Cancel(const std::string& id) {
  HT_ASSIGN_OR_RETURN(int64_t n, db_->Execute("UPDATE sessions SET state = 'cancelled', finished_ms = {now},"
                                              " lease_owner = NULL, lease_expires_ms = NULL"
                                              " WHERE id = ? AND state IN ('queued', 'running')",
                                              {id}));
  return n > 0;
}

Result<bool> SessionStore::Delete(const std::string& id) {
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  HT_RETURN_IF_ERROR(db_->Execute("DELETE FROM chunks WHERE session_id = ?", {id}).status());
  HT_RETURN_IF_ERROR(db_->Execute("DELETE FROM media WHERE session_id = ?", {id}).status());
  HT_ASSIGN_OR_RETURN(int64_t n, db_->Execute("DELETE FROM sessions WHERE id = ?", {id}));
  HT_RETURN_IF_ERROR(txn.Commit());
  return n > 0;
}

Result<std::optional<Claim>> SessionStore::ClaimNext(const std::string& worker, int64_t lease_ms) {
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  HT_RETURN_IF_ERROR(
      db_->Execute(
             "UPDATE sessions SET state = 'failed', finished_ms = {now}, lease_owner = NULL,"
             " lease_expires_ms = NULL, error = 'failed to process session ' || id || ': its worker stopped"
             " or lost its lease on each of ' || CAST(attempts AS TEXT) || ' attempts'"
             " WHERE state = 'running' AND lease_expires_ms < {now} AND attempts >= max_attempts",
             {})
          .status());
  const bool pg = db_->dialect() == SqlDialect::kPostgres;
  HT_ASSIGN_OR_RETURN(auto ids, db_->Query(std::string("SELECT id FROM sessions WHERE state = 'queued' OR"
                                                       " (state = 'running' AND lease_expires_ms < {now})"
                                                       " ORDER BY created_ms, id LIMIT 1") +
                                               (pg ? " FOR UPDATE SKIP LOCKED" : ""),
                                           {}));
  if (ids.empty()) {
    HT_RETURN_IF_ERROR(txn.Commit());
    return std::optional<Claim>();
  }
  const std::string id = ids[0].Text(0);
  HT_ASSIGN_OR_RETURN(auto tokens,
                      db_->Query("UPDATE sessions SET state = 'running', lease_owner = ?,"
                                 " lease_token = lease_token + 1, lease_expires_ms = {now} + ?,"
                                 " attempts = attempts + 1, started_ms = COALESCE(started_ms, {now}),"
                                 " frames_done = 0 WHERE id = ? RETURNING lease_token",
                                 {worker, lease_ms, id}));
  HT_ASSIGN_OR_RETURN(auto session, Get(id));
  HT_RETURN_IF_ERROR(txn.Commit());
  if (tokens.empty() || !session) return InternalError("failed to claim session " + id + ": it vanished");
  return std::optional<Claim>(Claim{*session, tokens[0].Int(0)});
}

Status SessionStore::Renew(const Claim& claim, int64_t lease_ms, int64_t frames_done, int64_t frames_total) {
  HT_ASSIGN_OR_RETURN(int64_t n,
                      db_->Execute("UPDATE sessions SET lease_expires_ms = {now} + ?, frames_done = ?,"
                                   " frames_total = ? WHERE id = ? AND lease_token = ?"
                                   " AND state = 'running'",
                                   {lease_ms, frames_done, frames_total, claim.session.id, claim.token}));
  if (n == 0) {
    return FailedPreconditionError("failed to renew the lease of session " + claim.session.id +
                                   ": it was taken over, cancelled or deleted");
  }
  return Status::Ok();
}

Result<int64_t> SessionStore::RecoverOwnJobs(const std::string& owner_prefix) {
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  // Owners are compared here rather than in SQL: a prefix test that is byte-exact in both
  // SQLite and PostgreSQL (whose text order follows the database's collation) is simpler in C++.
  const bool pg = db_->dialect() == SqlDialect::kPostgres;
  HT_ASSIGN_OR_RETURN(auto rows, db_->Query(std::string("SELECT id, lease_owner, lease_token FROM sessions"
                                                        " WHERE state = 'running' AND recoveries < ?") +
                                                (pg ? " FOR UPDATE" : ""),
                                            {kMaxRecoveries}));
  int64_t recovered = 0;
  for (const SqlRow& row : rows) {
    if (!row.Text(1).starts_with(owner_prefix)) continue;
    HT_ASSIGN_OR_RETURN(
        int64_t n, db_->Execute("UPDATE sessions SET state = 'queued', attempts = attempts - 1,"
                                " recoveries = recoveries + 1, lease_owner = NULL, lease_expires_ms = NULL,"
                                " frames_done = 0 WHERE id = ? AND lease_token = ? AND state = 'running'",
                                {row.Text(0), row.Int(2)}));
    recovered += n;
  }
  HT_RETURN_IF_ERROR(txn.Commit());
  return recovered;
}

Status SessionStore::Release(const Claim& claim) {
  HT_ASSIGN_OR_RETURN(int64_t n, db_->Execute("UPDATE sessions SET state = 'queued', attempts = attempts - 1,"
                                              " lease_owner = NULL, lease_expires_ms = NULL, frames_done = 0"
                                              " WHERE id = ? AND lease_token = ? AND state = 'running'",
                                              {claim.session.id, claim.token}));
  if (n == 0) {
    return FailedPreconditionError("failed to give session " + claim.session.id +
                                   " back: it was taken over, cancelled or deleted");
  }
  return Status::Ok();
}

Status SessionStore::Finish(const Claim& claim, const JobResult& result) {
  SqlTransaction txn(db_.get());
  HT_RETURN_IF_ERROR(txn.Begin());
  const char* state = result.kind == JobResult::Kind::kSucceeded ? "'succeeded'"
                      : result.kind == JobResult::Kind::kFailed
                          ? "'failed'"
                          : "CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END";
  const std::string finished = result.kind == JobResult::Kind::kRetry
                                   ? "CASE WHEN attempts >= max_attempts THEN {now} ELSE NULL END"
                                   : "{now}";
  HT_ASSIGN_OR_RETURN(
      int64_t n,
      db_->Execute(std::string("UPDATE sessions SET state = ") + state + ", finished_ms = " + finished +
                       ", frames_done = ?, processing_ms = ?, error = ?, lease_owner = NULL,"
                       " lease_expires_ms = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
                   {result.frames_done, result.processing_ms,
                    result.error.empty() ? SqlValue(nullptr) : SqlValue(result.error), claim.session.id,
                    claim.token}));
  if (n == 0) {
    return FailedPreconditionError(
        "failed to store the results of session " + claim.session.id +
        ": its lease was lost (taken over, cancelled or deleted); the write was refused");
  }
  for (const char* table : {"chunks", "media"}) {
    HT_RETURN_IF_ERROR(
        db_->Execute(std::string("DELETE FROM ") + table + " WHERE session_id = ? AND kind <> ?",
                     {claim.session.id, std::string(kVideoBlob)})
            .status());
  }
  for (const auto& [kind, path] : result.files) {
    HT_RETURN_IF_ERROR(InsertBlobFromFile(claim.session.id, kind, path)
                           .WithPrefix("failed to store the results of session " + claim.session.id));
  }
  return txn.Commit();
}

Result<std::optional<int64_t>> SessionStore::BlobSize(const std::string& id, const std::string& kind) {
  HT_ASSIGN_OR_RETURN(auto rows,
                      db_->Query("SELECT size FROM media WHERE session_id = ? AND kind = ?", {id, kind}));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

Result<std::string> SessionStore::BlobChunk(const std::string& id, const std::string& kind, int64_t index) {
  HT_ASSIGN_OR_RETURN(auto bytes, db_->QueryBytes("SELECT data FROM chunks WHERE session_id = ? AND kind = ?"
                                                  " AND seq = ?",
                                                  {id, kind, index}));
  if (!bytes)
    return NotFoundError("failed to read " + kind + " of session " + id + ": chunk " + std::to_string(index) +
                         " is missing");
  return std::move(*bytes);
}

Status SessionStore::CopyBlobToFile(const std::string& id, const std::string& kind, const std::string& path) {
  HT_ASSIGN_OR_RETURN(auto rows,
                      db_->Query("SELECT chunks FROM media WHERE session_id = ? AND kind = ?", {id, kind}));
  if (rows.empty()) return NotFoundError("failed to read " + kind + " of session " + id + ": there is none");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InternalError("failed to write " + path);
  const int64_t chunks = rows[0].Int(0);
  for (int64_t i = 0; i < chunks; ++i) {
    HT_ASSIGN_OR_RETURN(std::string chunk, BlobChunk(id, kind, i));
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  }
  out.close();
  if (!out) return InternalError("failed to write " + path + ": disk full?");
  return Status::Ok();
}

Result<StateCounts> SessionStore::CountStates() {
  HT_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT state, COUNT(*) FROM sessions GROUP BY state", {}));
  StateCounts counts;
  for (const SqlRow& row : rows) {
    const std::string state = row.Text(0);
    const int64_t n = row.Int(1);
    if (state == "queued") counts.queued = n;
    if (state == "running") counts.running = n;
    if (state == "succeeded") counts.succeeded = n;
    if (state == "failed") counts.failed = n;
    if (state == "cancelled") counts.cancelled = n;
  }
  return counts;
}

bool IsPostgresAddress(std::string_view address) {
  return address.starts_with("postgresql://") || address.starts_with("postgres://");
}

Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path);
Result<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& address);

Result<std::unique_ptr<SqlConnection>> OpenSqlConnection(const std::string& address) {
  if (IsPostgresAddress(address)) return OpenPostgresConnection(address);
  return OpenSqliteConnection(address);
}

}  // namespace handtrack::serve
