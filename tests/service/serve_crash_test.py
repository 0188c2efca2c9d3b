#!/usr/bin/python3
"""Crash safety: `kill -9` of the server (and, on PostgreSQL, of the workers) at random
moments while 12 sessions upload and process. Every upload retries with its
Idempotency-Key until it gets an answer; after the last restart, every session that got one
must end succeeded with exactly one set of results, equal to an uninterrupted
`handtrack track`'s; nothing is left of the uploads cut off by the kills. On PostgreSQL,
also: a worker stopped with SIGSTOP loses its job to another worker, and its late write is
refused when it resumes. On SQLite the server runs with its default lease and attempts: a
restart must give its jobs back at once and uncounted.

    serve_crash_test.py HANDTRACK_BINARY sqlite|postgres [SEED]"""
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from service_support import (VIDEOS, Postgres, Process, Server, body_after_header, check, fail, skip_unless_shared,
                             temp_root, videos, wait_for)

SESSIONS = 12
LEASE = "2"


def main():
    binary = os.path.abspath(sys.argv[1])
    backend = sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.SystemRandom().randrange(1 << 30)
    print(f"seed {seed} (rerun: serve_crash_test.py BINARY {backend} {seed})", flush=True)
    skip_unless_shared()
    root = temp_root()
    pg = None
    try:
        if backend == "postgres":
            pg = Postgres(root)
        run(binary, backend, root, pg, random.Random(seed))
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)


class Cluster:
    """The server (and workers) of one database; kill -9 and restart at will."""

    def __init__(self, binary, backend, root, pg):
        self.binary, self.backend, self.root, self.pg = binary, backend, root, pg
        self.data = os.path.join(root, "data")
        self.db = pg.address if pg else os.path.join(self.data, "handtrack.db")
        self.log = os.path.join(root, "serve.log")
        self.workers = [None, None]
        self.lock = threading.Lock()
        self.server = None
        self.start_server()
        if pg:
            for i in range(2):
                self.start_worker(i)

    def start_server(self):
        if self.pg:
            # Workers elsewhere: a killed worker's job may go to the other one when its short
            # lease ends before the killed one is back, and each such takeover is an attempt.
            extra = ["--lease-seconds", LEASE, "--max-attempts", "50", "--workers", "0", "--db", self.pg.address]
        else:
            # The defaults (a 30 s lease, 3 attempts): each restart gives back the jobs the killed
            # server held at once and uncounted, so 10 kills fail no session and wait for no lease.
            extra = ["--workers", "2"]
        self.server = Server(self.binary, self.data, self.log, extra=extra)

    def start_worker(self, i):
        self.workers[i] = Process([self.binary, "worker", "--db", self.db, "--data", os.path.join(self.root, f"w{i}"),
                                   "--name", f"w{i}", "--lease-seconds", LEASE],
                                  os.path.join(self.root, f"w{i}.log"))

    def port(self):
        with self.lock:
            return self.server.port

    def request(self, *args, **kwargs):
        with self.lock:
            server = self.server
        return server.json(*args, **kwargs)

    def kill_server(self):
        with self.lock:
            self.server.kill()
            self.server.log.close()
            self.start_server()

    def kill_worker(self, i):
        self.workers[i].kill()
        self.workers[i].log.close()
        self.start_worker(i)

    def stop(self):
        self.server.stop()
        for w in self.workers:
            if w:
                w.stop()


def run(binary, backend, root, pg, rng):
    chosen = sorted(videos(), key=lambda v: os.path.getsize(os.path.join(VIDEOS, v)))[:4]
    # The uninterrupted run.
    reference = {}
    for video in chosen:
        out = subprocess.run([binary, "track", "--format", "golden", "--num-hands", "2", "--no-progress", video],
                             cwd=VIDEOS, stdout=subprocess.PIPE, check=True).stdout
        reference[video] = body_after_header(out)
    cluster = Cluster(binary, backend, root, pg)
    try:
        exercise(cluster, chosen, reference, rng, root)
        if pg:
            sigstop(cluster, chosen, reference)
    except SystemExit:
        print(open(cluster.log, errors="replace").read()[-5000:])
        for i in range(2):
            path = os.path.join(root, f"w{i}.log")
            if os.path.exists(path):
                print(open(path, errors="replace").read()[-3000:])
        raise
    finally:
        cluster.stop()


def exercise(cluster, chosen, reference, rng, root):
    answers = {}  # key -> session id, from a 202 or a 200
    work = [(f"crash-{i}", chosen[i % len(chosen)]) for i in range(SESSIONS)]
    queue = list(work)
    qlock = threading.Lock()

    def uploader():
        while True:
            with qlock:
                if not queue:
                    return
                key, video = queue.pop(0)
            body = open(os.path.join(VIDEOS, video), "rb").read()
            for _ in range(1000):
                try:
                    status, s = cluster.request("POST", f"/v1/sessions?name={video}", body, {"Idempotency-Key": key})
                except (OSError, Exception):  # the server was killed under us: retry, as a client would
                    time.sleep(0.1)
                    continue
                if status in (200, 202):
                    with qlock:
                        if key in answers and answers[key] != s["id"]:
                            fail(f"{key}: a second session {s['id']} after {answers[key]}")
                        answers[key] = s["id"]
                    break
                if status == 503:
                    time.sleep(0.1)
                    continue
                fail(f"upload {key}: {status} {s}")
            else:
                fail(f"upload {key} never got an answer")

    threads = [threading.Thread(target=uploader) for _ in range(4)]
    for t in threads:
        t.start()

    # Kill at random moments until the uploads are in and every session has started over at
    # least once... or at most a fixed number of times.
    kills = {"server": 0, "worker": 0, "cut uploads": 0}
    half = open(os.path.join(VIDEOS, chosen[-1]), "rb").read()
    for round_ in range(10):
        time.sleep(rng.uniform(0.3, 2.5))
        if round_ % 3 == 1:
            # An upload cut off by the kill: it must leave no session and no file.
            import socket
            s = socket.create_connection(("127.0.0.1", cluster.port()))
            s.sendall(f"POST /v1/sessions?name=cut.mp4 HTTP/1.1\r\nHost: x\r\nContent-Length: {len(half)}\r\n\r\n".encode()
                      + half[: len(half) // 2])
            time.sleep(0.2)
            kills["cut uploads"] += 1
            cluster.kill_server()
            s.close()
        else:
            cluster.kill_server()
        kills["server"] += 1
        if cluster.pg and rng.random() < 0.7:
            cluster.kill_worker(rng.randrange(2))
            kills["worker"] += 1
    for t in threads:
        t.join()
    print(f"kills: {kills['server']} of the server, {kills['worker']} of workers, "
          f"{kills['cut uploads']} of them with an upload cut off mid-body", flush=True)
    logs = [cluster.log] + [os.path.join(root, f"w{i}.log") for i in range(2)]
    given_back = sum(int(m.group(1)) for path in logs if os.path.exists(path)
                     for m in re.finditer(r": (\d+) session\(s\) that .* went back to the queue",
                                          open(path, errors="replace").read()))
    print(f"sessions given back uncounted by a restarted server or worker: {given_back}", flush=True)
    check(len(answers) == SESSIONS, f"all {SESSIONS} uploads got an answer (retried with their Idempotency-Key)")

    # After the last restart, every session ends succeeded with track's results.
    for key, video in work:
        sid = answers[key]
        wait_for(f"{key} to end", lambda: cluster.request("GET", f"/v1/sessions/{sid}")[1]["state"]
                 in ("succeeded", "failed", "cancelled"), 0.25)
        status, s = cluster.request("GET", f"/v1/sessions/{sid}")
        check(s["state"] == "succeeded", f"{key} ({video}): succeeded after {s['attempts']} attempt(s)")
        with cluster.lock:
            status, _, served = cluster.server.request("GET", f"/v1/sessions/{sid}/frames?format=golden")
        check(status == 200 and body_after_header(served) == reference[video],
              f"{key}: its results equal the uninterrupted run's")
    status, page = cluster.request("GET", "/v1/sessions?limit=100")
    check(len(page["sessions"]) == SESSIONS and {s["id"] for s in page["sessions"]} == set(answers.values()),
          f"exactly {SESSIONS} sessions: none from the cut-off uploads, none twice")
    for kind in ("frames.golden", "frames.jsonl", "summary.json", "video"):
        rows = query(cluster, f"SELECT COUNT(*), COUNT(DISTINCT session_id) FROM media WHERE kind = '{kind}'")
        check(rows == [SESSIONS, SESSIONS], f"one {kind} per session in the database ({rows[0]})")
    orphans = query(cluster, "SELECT COUNT(*) FROM chunks WHERE session_id NOT IN (SELECT id FROM sessions)")
    check(orphans == [0], "no chunk without its session")
    uploads = os.path.join(cluster.data, "uploads")
    check(os.listdir(uploads) == [], "no upload file left under --data")


def query(cluster, sql):
    if cluster.pg:
        out = subprocess.run(["psql", cluster.pg.address, "-Atc", sql], stdout=subprocess.PIPE, check=True).stdout
        return [int(x) for x in out.decode().strip().split("|")]
    with sqlite3.connect(cluster.db) as db:
        return list(db.execute(sql).fetchone())


def sigstop(cluster, chosen, reference):
    """A worker stopped mid-job loses it; its late write is refused."""
    video = max(chosen, key=lambda v: os.path.getsize(os.path.join(VIDEOS, v)))
    # Only worker 0 runs until it holds the job; then worker 1 comes back.
    cluster.workers[1].stop()
    offset = len(cluster.workers[0].text())
    status, s = cluster.request("POST", f"/v1/sessions?name={video}", open(os.path.join(VIDEOS, video), "rb").read())
    sid = s["id"]
    wait_for("worker 0 to process the session", lambda: cluster.request("GET", f"/v1/sessions/{sid}")[1]["progress"]["frames_done"] > 0, 0.05)
    cluster.workers[0].signal(signal.SIGSTOP)
    check(True, "worker 0 stopped (SIGSTOP) in the middle of the session")
    cluster.start_worker(1)
    s = wait_for("the session to end", lambda: (lambda r: r if r["state"] in ("succeeded", "failed") else None)(
        cluster.request("GET", f"/v1/sessions/{sid}")[1]), 0.25)
    check(s["state"] == "succeeded" and s["attempts"] == 2, f"worker 1 took the job over: succeeded on attempt {s['attempts']}")
    cluster.workers[0].signal(signal.SIGCONT)
    text = wait_for("worker 0's refused write", lambda: (lambda t: t if "lease" in t and sid in t and "stopped" in t else None)(
        cluster.workers[0].text()[offset:]), 0.1)
    line = [l for l in text.splitlines() if sid in l and "stopped" in l][0]
    check("taken over" in line, f"worker 0's late write is refused: {line}")
    with cluster.lock:
        status, _, served = cluster.server.request("GET", f"/v1/sessions/{sid}/frames?format=golden")
    check(body_after_header(served) == reference[video], "the results are the new worker's, equal to track's")


if __name__ == "__main__":
    main()
