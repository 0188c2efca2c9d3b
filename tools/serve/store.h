// The durable state of the service: sessions, their jobs and their media, in one SQL
// database (SQLite or PostgreSQL, sql.h). A session row is also its job: state, attempts
// and a lease (owner, token, expiry). Media (the uploaded video) and results (frames in
// three formats, the summary, the overlay) are blobs stored in the database in 1 MiB
// chunks, so that a worker on another machine needs only the database address, and so
// that a job's results commit in the same transaction as its end.
//
// Fencing: every write a worker makes names the lease token it was given when it claimed
// the job; a worker whose lease expired (and was taken over) or whose session was
// cancelled or deleted changes nothing and is told so (FailedPrecondition).
//
// Thread-safety: a SessionStore holds one connection and serves one thread at a time;
// open one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handtrack/status.h"
#include "sql.h"

namespace handtrack::serve {

inline constexpr int64_t kBlobChunkBytes = 1 << 20;
// Times a job may go back to the queue uncounted because its own worker restarted
// (RecoverOwnJobs); past this, a restart counts as a failed attempt like any lost lease, so
// a video that kills its worker every time still ends failed.
inline constexpr int64_t kMaxRecoveries = 20;

// Blob kinds of a session.
inline constexpr char kVideoBlob[] = "video";
inline constexpr char kOverlayBlob[] = "overlay.mp4";
inline constexpr char kSummaryBlob[] = "summary.json";
inline constexpr char kJsonlBlob[] = "frames.jsonl";
inline constexpr char kCsvBlob[] = "frames.csv";
inline constexpr char kGoldenBlob[] = "frames.golden";

struct Session {
  std::string id;
  std::string name;      // the video's name in the results
  std::string options;   // canonical query string of track's options
  bool overlay = false;  // overlay video requested
  std::string state;     // queued | running | succeeded | failed | cancelled
  int64_t created_ms = 0;
  int64_t started_ms = 0;   // 0: not yet
  int64_t finished_ms = 0;  // 0: not yet
  int64_t frames_done = 0;
  int64_t frames_total = 0;  // an estimate from the header; 0 when unknown
  int64_t attempts = 0;
  int64_t max_attempts = 0;
  int64_t processing_ms = 0;
  int64_t video_bytes = 0;
  std::string error;
  std::string worker;  // the last worker that claimed it
};

// A claimed job: the session and the lease token that fences its writes.
struct Claim {
  Session session;
  int64_t token = 0;
};

struct NewSession {
  std::string id;
  std::string name;
  std::string options;
  bool overlay = false;
  std::string idempotency_key;  // empty: none
  int64_t max_attempts = 3;
  int64_t frames_total = 0;
};

// Outcome of a job attempt, written by Finish.
struct JobResult {
  enum class Kind { kSucceeded, kFailed, kRetry } kind = Kind::kSucceeded;
  std::string error;
  int64_t frames_done = 0;
  int64_t processing_ms = 0;
  // (blob kind, local file) to store; kept for kSucceeded and kFailed (partial results).
  std::vector<std::pair<std::string, std::string>> files;
};

struct StateCounts {
  int64_t queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0;
};

class SessionStore {
 public:
  // Connects and creates the tables when missing.
  static Result<std::unique_ptr<SessionStore>> Open(const std::string& address);

  // Inserts the session, its job and the video (read from `video_path` chunk by chunk) in
  // one transaction. With an idempotency key already used, returns that session instead
  // (and `*existed` is set).
  Result<Session> Create(const NewSession& session, const std::string& video_path, bool* existed);
  Result<std::optional<Session>> Get(const std::string& id);
  Result<std::optional<Session>> FindByIdempotencyKey(const std::string& key);
  // Newest first; `after` is the page token of the previous page's last session.
  Result<std::vector<Session>> List(int limit, const std::string& after);
  // queued or running -> cancelled; false when the session had already ended.
  Result<bool> Cancel(const std::string& id);
  // The session and all of its blobs; false when there was none.
  Result<bool> Delete(const std::string& id);

  // Claims the oldest queued job, or a running one whose lease expired, for `lease_ms`.
  // Jobs whose lease expired with no attempts left end failed first.
  Result<std::optional<Claim>> ClaimNext(const std::string& worker, int64_t lease_ms);
  // Extends the lease and records progress; FailedPrecondition when the lease is lost
  // (taken over, cancelled, deleted).
  Status Renew(const Claim& claim, int64_t lease_ms, int64_t frames_done, int64_t frames_total);
  // A worker that starts again under the same name (after kill -9, a crash or a power cut)
  // gives back the jobs its previous life held, owners starting with `owner_prefix`, without
  // counting those attempts (at most kMaxRecoveries times per job), so they run again at
  // once instead of after their lease. Returns how many went back.
  Result<int64_t> RecoverOwnJobs(const std::string& owner_prefix);
  // Gives the job back to the queue without counting the attempt (a worker that stops
  // gracefully); fenced like Renew.
  Status Release(const Claim& claim);
  // Ends the attempt, storing the result files with it (fenced, one transaction).
  Status Finish(const Claim& claim, const JobResult& result);

  // Size of a blob; nullopt when the session has none of that kind.
  Result<std::optional<int64_t>> BlobSize(const std::string& id, const std::string& kind);
  // Chunk `index` of a blob.
  Result<std::string> BlobChunk(const std::string& id, const std::string& kind, int64_t index);
  // Writes a whole blob to a local file, chunk by chunk.
  Status CopyBlobToFile(const std::string& id, const std::string& kind, const std::string& path);

  Result<StateCounts> CountStates();
  SqlDialect dialect() const { return db_->dialect(); }

 private:
  explicit SessionStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
  Status CreateSchema();
  Status InsertBlobFromFile(const std::string& id, const std::string& kind, const std::string& path);
  std::unique_ptr<SqlConnection> db_;
};

// A page token for List: created_ms and id of the last session of a page.
std::string PageToken(const Session& session);

}  // namespace handtrack::serve
