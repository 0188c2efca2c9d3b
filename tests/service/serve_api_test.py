#!/usr/bin/python3
"""`handtrack serve` on SQLite, through real HTTP: every shared video as a session (results
byte-identical to `handtrack track` after the header, and within the video agreement bounds
against MediaPipe's golden files), the session routes, Range requests, paging, cancel and
delete, /v1/detect, the live WebSocket, the token, the limits, bad input of every kind,
/metrics, and every JSON response validated against /openapi.json.

    serve_api_test.py HANDTRACK_BINARY"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys

import jsonschema
import websocket


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from service_support import (COMPARE, GOLDEN, IMAGES, VIDEOS, Server, body_after_header, check, fail,
                             skip_unless_shared, temp_root, videos, wait_for)

TOKEN = "s3cret-token"
responses = []  # (method, route template, status, parsed JSON) for the OpenAPI check


def record(method, route, status, body):
    responses.append((method, route, status, body))
    return status, body


def main():
    binary = os.path.abspath(sys.argv[1])
    skip_unless_shared()
    root = temp_root()
    data = os.path.join(root, "data")
    try:
        run(binary, root, data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def usage(binary, root):
    """Bad command lines: one line on stderr and exit 2 (1 when a resource fails)."""
    for args, code, words in ((["serve", "--listen", "0.0.0.0:0"], 2, "without a token"),
                              (["serve", "--listen", "localhost"], 2, "--listen"),
                              (["serve", "--workers", "x"], 2, "--workers"),
                              (["serve", "--max-upload-mb", "0"], 2, "--max-upload-mb"),
                              (["serve", "--batch-wait-us", "-5"], 2, "--batch-wait-us"),
                              (["worker", "--db", os.path.join(root, "unused.db"), "--batch-wait-us", "x"], 2,
                               "--batch-wait-us"),
                              (["serve", "--max-concurrent-runs", "65"], 2, "--max-concurrent-runs"),
                              (["worker", "--db", os.path.join(root, "unused.db"), "--max-concurrent-runs", "-1"], 2,
                               "--max-concurrent-runs"),
                              (["worker"], 2, "--db"),
                              (["worker", "--db", f"postgresql:///x?host={root}/none"], 1, "failed to connect to PostgreSQL")):
        env = dict(os.environ)
        env.pop("HANDTRACK_TOKEN", None)
        result = subprocess.run([binary] + args + ["--data", os.path.join(root, "unused")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, timeout=120)
        err = result.stderr.decode().strip()
        check(result.returncode == code and words in err and len(err.splitlines()) == 1,
              f"handtrack {' '.join(args)}: exit {code}: {err}")


def run(binary, root, data):
    usage(binary, root)
    server = Server(binary, data, os.path.join(root, "serve.log"), token=TOKEN,
                    extra=["--workers", "2", "--max-upload-mb", "2", "--max-image-mb", "1", "--request-timeout", "10"])
    try:
        exercise(server, binary, root, data)
    except SystemExit:
        print(server.text()[-4000:])
        raise
    finally:
        server.stop()
    check("handtrack serve: stopped" in server.text() and server.proc.returncode == 0,
          f"the server stops on SIGTERM, exit status {server.proc.returncode}")


def exercise(server, binary, root, data):
    # Health checks need no token; everything else does.
    # A client that sends half a header and stalls is cut off after --request-timeout (10 s);
    # checked at the end.
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    slow.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\n")
    status, body = record("get", "/healthz", *server.json("GET", "/healthz", auth=False))
    check(status == 200, "/healthz answers 200 without a token")
    server.wait_ready()
    for headers, what in (({}, "no token"), ({"Authorization": "Bearer wrong"}, "a wrong token"),
                          ({"Authorization": "Basic " + TOKEN}, "a token that is not a bearer token")):
        status, body = record("get", "/v1/sessions", *server.json("GET", "/v1/sessions", headers=headers, auth=False))
        check(status == 401 and body["error"]["code"] == "unauthorized", f"401 with {what}")
    status, _, _ = server.request("GET", "/metrics", auth=False)
    check(status == 401, "/metrics needs the token")
    # A second process on the server's working folder would delete its jobs' files: refused.
    result = subprocess.run([binary, "worker", "--db", os.path.join(data, "handtrack.db"), "--data",
                             os.path.join(data, "work")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = result.stderr.decode().strip()
    check(result.returncode == 1 and "another handtrack process is using it" in err and len(err.splitlines()) == 1,
          f"a worker on the server's folder: exit 1: {err}")

    # Every shared video as a session; one with the overlay; one retried with its Idempotency-Key.
    for needed in ("hand_enters_thumbs_up_face_01.mp4", "two_hands_zoom_gesture_with_overlays_01.mp4"):
        check(needed in videos(), f"{needed} is among the videos (its range requests, its overlay)")
    sessions = {}
    for video in videos():
        query = "overlay=true" if video.startswith("two_hands_zoom") else ""
        headers = {"Idempotency-Key": "key-" + video}
        status, s = record("post", "/v1/sessions", *server.upload(video, query, headers))
        check(status == 202 and s["state"] in ("queued", "running"), f"POST {video}: 202, queued")
        _, hdrs, _ = server.request("GET", "/v1/sessions/" + s["id"])
        sessions[video] = s["id"]
    status, again = record("post", "/v1/sessions", *server.upload(videos()[0], "", {"Idempotency-Key": "key-" + videos()[0]}))
    check(status == 200 and again["id"] == sessions[videos()[0]], "a retried upload with its Idempotency-Key gets the first session")

    # Bad options: 400 naming the option, nothing created.
    for query, option in (("num_hands=9", "num_hands"), ("model=huge", "model"), ("smoothing=maybe", "smoothing"),
                          ("min_detection_confidence=2", "min_detection_confidence"), ("mirrored=perhaps", "mirrored"),
                          ("colour=red", "colour"), ("name=a/b", "name"), ("num_hands=%zz", "percent"),
                          ("palm_detection_interval=0", "palm_detection_interval")):
        status, body = record("post", "/v1/sessions", *server.upload(videos()[0], query))
        check(status == 400 and option in body["error"]["message"], f"?{query}: 400 naming {option}: {body['error']['message']}")

    # Bad bodies.
    truncated = os.path.join(root, "truncated.mp4")
    with open(os.path.join(VIDEOS, "hand_enters_thumbs_up_face_01.mp4"), "rb") as f:
        whole = f.read()
    with open(truncated, "wb") as f:
        f.write(whole[: len(whole) * 6 // 10])
    status, s = record("post", "/v1/sessions", *server.json("POST", "/v1/sessions?name=truncated.mp4", whole[: len(whole) * 6 // 10]))
    check(status == 202, "a truncated video is accepted (its header is fine)")
    truncated_id = s["id"]
    status, body = record("post", "/v1/sessions", *server.json("POST", "/v1/sessions", b"just some text\n" * 100))
    check(status == 415 and "not a video" in body["error"]["message"], f"a text file as a video: 415: {body['error']['message']}")
    status, body = record("post", "/v1/sessions", *server.json("POST", "/v1/sessions", b""))
    check(status == 400 and "empty" in body["error"]["message"], "an empty body: 400")
    big = os.path.join(root, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(3 << 20))
    for how, extra in (("Content-Length", []), ("chunked", ["-H", "Transfer-Encoding: chunked"])):
        out = subprocess.run(["curl", "-s", "-o", os.path.join(root, "413.json"), "-w", "%{http_code}", "-H",
                              f"Authorization: Bearer {TOKEN}", *extra, "--data-binary", f"@{big}",
                              f"http://127.0.0.1:{server.port}/v1/sessions"], stdout=subprocess.PIPE).stdout.decode()
        body = json.load(open(os.path.join(root, "413.json")))
        check(out == "413" and "limit" in body["error"]["message"], f"a 3 MiB upload ({how}) over --max-upload-mb 2: 413")
    check(os.listdir(os.path.join(data, "uploads")) == [], "no upload file is left behind")

    # A declared body over the limit is refused from the header: the answer comes before any of it is sent.
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    raw.sendall(f"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {3 << 20}\r\n\r\n".encode())
    answer = raw.recv(4096).decode(errors="replace")
    raw.close()
    check(answer.startswith("HTTP/1.1 413"), "Content-Length over the limit: 413 before a byte of the body is sent")

    # An upload cut off mid-body: no session, no file.
    status, before = server.json("GET", "/v1/sessions?limit=100")
    raw = socket.create_connection(("127.0.0.1", server.port))
    raw.sendall(f"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {len(whole)}\r\n\r\n".encode() + whole[:100000])
    raw.close()
    status, after = server.json("GET", "/v1/sessions?limit=100")
    check(len(after["sessions"]) == len(before["sessions"]), "an upload cut off mid-body leaves no session")
    # The server notices the cut (EOF) at once; poll until its thread cleaned up.
    wait_for("the cut-off upload's file to go", lambda: os.listdir(os.path.join(data, "uploads")) == [])
    check(True, "an upload cut off mid-body leaves no file")

    # Ids and paths.
    for path, what in (("/v1/sessions/0123456789abcdef0123456789abcdef", "an unknown id"),
                       ("/v1/sessions/not-an-id", "a malformed id"),
                       ("/v1/sessions/../../etc/passwd", "../ in the path"),
                       ("/v1/sessions/%2e%2e%2fhandtrack.db/video", "an encoded ../"),
                       ("/v1/sessions/0123456789abcdef0123456789abcdef/frames", "frames of an unknown id")):
        status, body = server.json("GET", path)
        check(status == 404 and body["error"]["code"] == "not_found", f"{what}: 404")
    record("get", "/v1/sessions/{id}", *server.json("GET", "/v1/sessions/0123456789abcdef0123456789abcdef"))

    # Cancel a session while it waits (the two workers are busy with the sessions above), then delete it.
    status, s = server.upload("asl_sign_walk_two_hands_webcam_01.mp4")
    status, s = record("post", "/v1/sessions/{id}:cancel", *server.json("POST", f"/v1/sessions/{s['id']}:cancel"))
    check(status == 200 and s["state"] == "cancelled", "POST :cancel of a queued session: cancelled")
    status, body = record("post", "/v1/sessions/{id}:cancel", *server.json("POST", f"/v1/sessions/{s['id']}:cancel"))
    check(status == 409, "cancelling it again: 409")
    status, _, _ = server.request("DELETE", f"/v1/sessions/{s['id']}")
    check(status == 204, "DELETE: 204")
    status, _ = server.json("GET", f"/v1/sessions/{s['id']}")
    check(status == 404, "a deleted session is gone")
    status, _, _ = server.request("GET", f"/v1/sessions/{s['id']}/video")
    check(status == 404, "so is its video")

    # /v1/detect.
    photo = os.path.join(IMAGES, "two_hands_heart_torso_01.jpg")
    status, frame = record("post", "/v1/detect", *server.json("POST", "/v1/detect?num_hands=2", open(photo, "rb").read()))
    check(status == 200 and frame["num_hands"] == 2 and len(frame["hands"][0]["landmarks"]) == 21, "POST /v1/detect: two hands")
    detect = subprocess.run([binary, "detect", "--num-hands", "2", photo], stdout=subprocess.PIPE, check=True).stdout
    cli_frame = json.loads(detect.decode().split("\n", 2)[2].rstrip().rstrip("]}").rstrip())
    check(frame["hands"] == cli_frame["hands"], "its hands are `handtrack detect`'s")
    status, body = record("post", "/v1/detect", *server.json("POST", "/v1/detect", b"hello"))
    check(status == 415, "a text file to /v1/detect: 415")
    status, body = record("post", "/v1/detect", *server.json("POST", "/v1/detect", b""))
    check(status == 400, "an empty body to /v1/detect: 400")
    # The server answers 413 from the header and may close before the body is sent: curl reads
    # that answer where http.client would fail on the broken pipe.
    big_photo = os.path.join(root, "big_photo.bin")
    with open(big_photo, "wb") as f:
        f.write(os.urandom(2 << 20))
    out = subprocess.run(["curl", "-s", "-o", os.path.join(root, "413-detect.json"), "-w", "%{http_code}", "-H",
                          f"Authorization: Bearer {TOKEN}", "--data-binary", f"@{big_photo}",
                          f"http://127.0.0.1:{server.port}/v1/detect"], stdout=subprocess.PIPE).stdout.decode()
    body = json.load(open(os.path.join(root, "413-detect.json")))
    record("post", "/v1/detect", 413, body)
    check(out == "413" and body["error"]["code"], "a 2 MiB photo over --max-image-mb 1: 413")

    live(server)

    # Every session ends succeeded, but the truncated one, which fails keeping its frames.
    for video, sid in sessions.items():
        s = server.wait_ended(sid)
        check(s["state"] == "succeeded" and s["progress"]["frames_done"] > 0, f"{video}: succeeded, {s['progress']['frames_done']} frames")
        record("get", "/v1/sessions/{id}", 200, s)
    s = server.wait_ended(truncated_id)
    check(s["state"] == "failed" and "truncated.mp4" in s["error"], f"the truncated video fails: {s.get('error')}")
    status, hdrs, partial = server.request("GET", f"/v1/sessions/{truncated_id}/frames?format=golden")
    frames = json.loads(partial)["frames"]
    check(status == 200 and 0 < len(frames) < 195, f"its {len(frames)} frames before the failure stay readable")

    # The results are track's, byte for byte after the header line.
    out = os.path.join(root, "track")
    os.makedirs(out)
    subprocess.run([binary, "track", "--format", "golden", "--jobs", "2", "--num-hands", "2", "--no-progress",
                    "--output", out] + videos(), cwd=VIDEOS, check=True)
    for video, sid in sessions.items():
        status, hdrs, served = server.request("GET", f"/v1/sessions/{sid}/frames?format=golden")
        expected = open(os.path.join(out, video[:-4] + ".json"), "rb").read()
        check(status == 200 and body_after_header(served) == body_after_header(expected),
              f"{video}: frames?format=golden equals track --format golden after the header")
        path = os.path.join(root, video + ".served.json")
        open(path, "wb").write(served)
        result = subprocess.run([sys.executable, COMPARE, "--by-index", os.path.join(GOLDEN, video[:-4] + ".tasks_full.json"),
                                 path, "--require", "ne_median<=0.02"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        summary = [l for l in result.stdout.decode().splitlines() if l.startswith(("count_agreement", "ne_median"))]
        check(result.returncode == 0, f"{video}: against MediaPipe: {'; '.join(summary)}")
    video = videos()[0]
    for fmt in ("jsonl", "csv"):
        expected = subprocess.run([binary, "track", "--format", fmt, "--num-hands", "2", "--no-progress", video], cwd=VIDEOS,
                                  stdout=subprocess.PIPE, check=True).stdout
        status, hdrs, served = server.request("GET", f"/v1/sessions/{sessions[video]}/frames?format={fmt}")
        check(served == expected, f"{video}: frames?format={fmt} equals track --format {fmt}")
    status, body = record("get", "/v1/sessions/{id}/frames", *server.json("GET", f"/v1/sessions/{sessions[video]}/frames?format=xml"))
    check(status == 400 and "format" in body["error"]["message"], "frames?format=xml: 400 naming format")
    status, summary = server.json("GET", f"/v1/sessions/{sessions[video]}/summary")
    check(status == 200 and summary["input"] == video and summary["frames"] > 0, "the summary is track --summary's")

    # Range requests on the uploaded video and the overlay.
    sid = sessions["hand_enters_thumbs_up_face_01.mp4"]
    status, hdrs, part = server.request("GET", f"/v1/sessions/{sid}/video", headers={"Range": "bytes=100-199"})
    check(status == 206 and part == whole[100:200] and hdrs["content-range"] == f"bytes 100-199/{len(whole)}",
          "Range bytes=100-199 of the video: 206 and those bytes")
    status, hdrs, part = server.request("GET", f"/v1/sessions/{sid}/video", headers={"Range": "bytes=-10"})
    check(status == 206 and part == whole[-10:], "Range bytes=-10: the last 10 bytes")
    status, hdrs, part = server.request("GET", f"/v1/sessions/{sid}/video")
    check(status == 200 and part == whole and hdrs["accept-ranges"] == "bytes", "the whole video, as uploaded")
    status, hdrs, part = server.request("GET", f"/v1/sessions/{sid}/video", headers={"Range": f"bytes={len(whole)}-"})
    check(status == 416, "a range past the end: 416")
    overlay_id = sessions[[v for v in videos() if v.startswith("two_hands_zoom")][0]]
    status, hdrs, mp4 = server.request("GET", f"/v1/sessions/{overlay_id}/overlay.mp4")
    check(status == 200 and hdrs["content-type"] == "video/mp4" and mp4[4:8] == b"ftyp", f"overlay.mp4: an MP4 of {len(mp4)} bytes")
    status, hdrs, head = server.request("GET", f"/v1/sessions/{overlay_id}/overlay.mp4", headers={"Range": "bytes=0-7"})
    check(status == 206 and head == mp4[:8], "overlay.mp4 serves ranges")
    status, body = server.json("GET", f"/v1/sessions/{sid}/overlay.mp4")
    check(status == 404 and "overlay=true" in body["error"]["message"], "no overlay unless asked: 404")

    # Cancel a running session: its worker's next write (a lease renewal or the results) is refused.
    status, s = server.upload("asl_fingerspelling_one_hand_portrait_01.mp4")
    running = s["id"]
    # Claimed ("running") right away: both workers are idle by now; the video takes seconds.
    wait_for("the session to run", lambda: server.json("GET", f"/v1/sessions/{running}")[1]["state"] == "running", 0.02)
    status, s = server.json("POST", f"/v1/sessions/{running}:cancel")
    check(status == 200 and s["state"] == "cancelled", "POST :cancel of a running session: cancelled")
    line = wait_for("the worker to give up", lambda: [l for l in server.text().splitlines()
                                                      if running in l and "cancelled or deleted" in l])
    check(True, f"its worker stops, its write refused: {line[0]}")
    status, s = server.json("GET", f"/v1/sessions/{running}")
    check(s["state"] == "cancelled", "the session stays cancelled")
    status, _, _ = server.request("DELETE", f"/v1/sessions/{running}")

    # Paging, newest first.
    seen, token = [], None
    while True:
        path = "/v1/sessions?limit=3" + (f"&page_token={token}" if token else "")
        status, page = record("get", "/v1/sessions", *server.json("GET", path))
        seen += page["sessions"]
        token = page.get("next_page_token")
        if not token:
            break
    created = [s["created_at"] for s in seen]
    check(len(seen) == len({s["id"] for s in seen}) == len(sessions) + 1 and created == sorted(created, reverse=True),
          f"GET /v1/sessions pages through all {len(seen)} sessions, newest first")
    status, body = server.json("GET", "/v1/sessions?limit=0")
    check(status == 400 and "limit" in body["error"]["message"], "limit=0: 400 naming limit")

    # Metrics.
    status, _, text = server.request("GET", "/metrics")
    text = text.decode()
    check(status == 200 and f'handtrack_sessions{{state="succeeded"}} {len(sessions)}' in text
          and 'handtrack_http_request_duration_seconds_bucket{route="detect",le="+Inf"}' in text
          and "handtrack_frames_processed_total" in text and "handtrack_model_frames_total" in text,
          "/metrics: sessions by state, latencies, frames, batch sizes")

    check(slow.recv(4096) == b"", "a stalled request is closed by the server (--request-timeout)")
    slow.close()

    # Every JSON response recorded above matches /openapi.json.
    status, document = server.json("GET", "/openapi.json")
    check(status == 200 and document["openapi"].startswith("3."), "/openapi.json is an OpenAPI 3 document")
    validate_against_openapi(document)


def live(server):
    url = f"ws://127.0.0.1:{server.port}/v1/live?num_hands=2"
    ws = websocket.create_connection(url, header=[f"Authorization: Bearer {TOKEN}"], timeout=120)
    photo = open(os.path.join(IMAGES, "two_hands_heart_torso_01.jpg"), "rb").read()
    ws.send_binary(b"IMG " + struct.pack("<IIq", 0, 0, 0) + photo)
    answer = json.loads(ws.recv())
    check(answer["timestamp_ms"] == 0 and len(answer["hands"]) == 2 and "id" in answer["hands"][0]
          and "gesture" in answer["hands"][0] and "pinch" in answer["hands"][0], "/v1/live: a JPEG frame, two hands with ids, gestures, pinch")
    ws.send_binary(b"RGBA" + struct.pack("<IIq", 4, 4, 33) + bytes(4 * 4 * 4))
    answer = json.loads(ws.recv())
    check(answer["timestamp_ms"] == 33 and answer["hands"] == [], "/v1/live: a raw RGBA frame")
    for garbage, what in ((b"xx", "a message shorter than the header"), (b"RGBA" + struct.pack("<IIq", 4, 4, 66) + b"abc", "RGBA of the wrong size"),
                          (b"JUNK" + bytes(16), "an unknown magic"), (b"IMG " + struct.pack("<IIq", 0, 0, 99) + b"not a jpeg", "an image that is not one")):
        ws.send_binary(garbage)
        answer = json.loads(ws.recv())
        check("error" in answer and answer["error"]["message"].startswith("failed to"), f"/v1/live: {what}: {answer['error']['message']}")
    ws.send("hello")
    check("error" in json.loads(ws.recv()), "/v1/live: a text message: an error answer")
    # Several frames at once: each is answered or reported dropped.
    sent = list(range(1000, 1000 + 10 * 33, 33))
    for ts in sent:
        ws.send_binary(b"IMG " + struct.pack("<IIq", 0, 0, ts) + photo)
    accounted = set()
    while accounted != set(sent):
        answer = json.loads(ws.recv())
        accounted.add(answer["timestamp_ms"])
        accounted.update(answer["dropped"])
    check(True, "/v1/live: ten frames in a burst are each answered or reported dropped")
    try:
        ws.send_binary(b"IMG " + bytes(16) + bytes(9 << 20))
        ws.recv()
        closed = False
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        closed = True
    closed = closed or ws.status == 1009 or not ws.connected
    check(closed, "/v1/live: a 9 MiB message closes the socket (message too big)")
    ws.close()
    # Browsers cannot set headers on a WebSocket: ?access_token= does instead; nothing is no way in.
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/v1/live?access_token={TOKEN}&num_hands=1", timeout=120)
    ws.send_binary(b"RGBA" + struct.pack("<IIq", 2, 2, 1) + bytes(16))
    check(json.loads(ws.recv())["timestamp_ms"] == 1, "/v1/live?access_token=TOKEN works")
    ws.close()
    try:
        websocket.create_connection(f"ws://127.0.0.1:{server.port}/v1/live", timeout=120)
        refused = False
    except websocket.WebSocketBadStatusException as e:
        refused = e.status_code == 401
    check(refused, "/v1/live without a token: 401")
    status, _ = server.json("GET", "/healthz", auth=False)
    check(status == 200, "the server lives on")


def validate_against_openapi(document):
    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            target = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    checked = 0
    for method, route, status, body in responses:
        operation = document["paths"][route][method]
        response = resolve(operation["responses"].get(str(status)))
        if response is None:
            fail(f"/openapi.json does not list status {status} for {method.upper()} {route}")
        schema = response["content"]["application/json"]["schema"]
        full = dict(schema)
        full["components"] = document["components"]
        try:
            jsonschema.validate(body, full)
        except jsonschema.ValidationError as e:
            fail(f"{method.upper()} {route} {status} does not match /openapi.json: {e.message}")
        checked += 1
    # At least the fixed tour's (30 with two videos as sessions; each more video adds a few).
    check(checked >= 30, f"{checked} JSON responses match /openapi.json")


if __name__ == "__main__":
    main()
