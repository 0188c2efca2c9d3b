"""Helpers of the service tests: a real `handtrack serve` / `handtrack worker` process, real
HTTP requests (http.client), and a real PostgreSQL 15 made by the test in a temporary
folder (initdb, pg_ctl, a Unix socket; as the `postgres` user when the test runs as root,
since initdb refuses root). Nothing here waits on wall-clock speed: every wait polls for a
state, with a generous limit only to turn a hang into a failure."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("HANDTRACK_SHARED", os.path.join(HERE, "..", "..", "..", "shared"))
VIDEOS = os.path.join(SHARED, "data", "hands", "videos")
IMAGES = os.path.join(SHARED, "data", "hands", "images")
GOLDEN = os.path.join(SHARED, "golden", "videos")
COMPARE = os.path.join(SHARED, "tools", "compare.py")
PG_BIN = "/usr/lib/postgresql/15/bin"
HANG_LIMIT_S = 600  # a wait longer than this is a hang, not a slow machine


def skip_unless_shared():
    if not os.path.isdir(VIDEOS):
        if os.environ.get("CI") == "true":
            fail(f"{VIDEOS} is missing in CI")
        print(f"SKIP: no {VIDEOS}")
        sys.exit(77)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}", flush=True)


def videos():
    """The shared videos, sorted; only those named in $HANDTRACK_SERVICE_VIDEOS (comma-separated)
    when it is set: scripts/test.sh's sanitizer stage runs the API test on two of them."""
    every = sorted(f for f in os.listdir(VIDEOS) if f.endswith(".mp4"))
    chosen = [name for name in os.environ.get("HANDTRACK_SERVICE_VIDEOS", "").split(",") if name]
    if not chosen:
        return every
    missing = [name for name in chosen if name not in every]
    if missing:
        fail(f"HANDTRACK_SERVICE_VIDEOS names videos that are not in {VIDEOS}: {', '.join(missing)}")
    return sorted(chosen)


def wait_for(what, predicate, poll_s=0.1):
    deadline = time.monotonic() + HANG_LIMIT_S
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    fail(f"gave up waiting for {what}")


class Process:
    """A child process whose stderr goes to a log file."""

    def __init__(self, args, log_path, env=None):
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=env, start_new_session=True)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Server(Process):
    """`handtrack serve` on a free loopback port."""

    def __init__(self, binary, data, log_path, token=None, extra=(), env=None):
        args = [binary, "serve", "--listen", "127.0.0.1:0", "--data", data]
        if token:
            args += ["--token", token]
        args += list(extra)
        self.token = token
        self.start_offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        super().__init__(args, log_path, env)
        text = wait_for("the server's address", lambda: self._listening())
        self.port = int(text)

    def _listening(self):
        if self.proc.poll() is not None:
            fail(f"the server exited with {self.proc.returncode}:\n{self.text()[-3000:]}")
        found = re.findall(r"listening on http://127\.0\.0\.1:(\d+)", self.text()[self.start_offset:])
        return found[-1] if found else None

    def wait_ready(self):
        wait_for("/readyz", lambda: self.request("GET", "/readyz", auth=False)[0] == 200, 0.2)

    def request(self, method, path, body=None, headers=None, auth=True, timeout=120):
        """(status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if auth and self.token:
            h["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=body, headers=h)
            res = conn.getresponse()
            data = res.read()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, auth=True):
        status, hdrs, data = self.request(method, path, body, headers, auth)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            fail(f"{method} {path}: {status} with a body that is not JSON: {data[:200]!r}")

    def upload(self, video, query="", headers=None):
        with open(os.path.join(VIDEOS, video), "rb") as f:
            body = f.read()
        sep = "&" if query else ""
        return self.json("POST", f"/v1/sessions?name={video}{sep}{query}", body, headers)

    def wait_ended(self, session_id):
        def ended():
            status, s = self.json("GET", f"/v1/sessions/{session_id}")
            if status != 200:
                fail(f"GET session {session_id}: {status} {s}")
            return s if s["state"] in ("succeeded", "failed", "cancelled") else None

        return wait_for(f"session {session_id} to end", ended, 0.25)


class Postgres:
    """A PostgreSQL 15 server of the test's own: initdb in a temporary folder, listening only
    on a Unix socket there."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.makedirs(self.dir)
        self.prefix = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(root, 0o755)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        self._run([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "handtrack", "--no-sync"])
        options = f"-c listen_addresses='' -c unix_socket_directories={self.dir} -c max_connections=200 -c fsync=on"
        self._run([f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"), "-o", options, "-w", "start"])
        self.data = data
        self.address = f"postgresql:///postgres?host={self.dir}&user=handtrack"

    def _run(self, args):
        result = subprocess.run(self.prefix + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            fail(f"{' '.join(args)}: {result.stdout.decode(errors='replace')[-2000:]}")

    def stop(self):
        subprocess.run(self.prefix + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def body_after_header(data):
    """A golden document without its first line (the "handtrack" header)."""
    return data.split(b"\n", 1)[1]


def temp_root():
    return tempfile.mkdtemp(prefix="handtrack-service-")
