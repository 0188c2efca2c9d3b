"""The FastAPI example (examples/python/fastapi_app.py) started with uvicorn as a real server
process on a free loopback port, called over HTTP."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import REPO


def multipart(field, filename, data):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("uvicorn") / "log", "w+")
    env = dict(os.environ, HANDTRACK_MAX_PHOTO_MB="1")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", os.path.join(REPO, "examples", "python"),
                             "fastapi_app:app", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"uvicorn exited: {log.read()}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=60)
    log.close()


def post(url, filename, data):
    body, content_type = multipart("photo", filename, data)
    request = urllib.request.Request(url + "/hands", body, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_upload_a_photo(server, photos):
    path = [p for p in photos if "two_hands_heart" in p][0]
    status, body = post(server, os.path.basename(path), open(path, "rb").read())
    assert status == 200 and len(body["hands"]) == 2
    assert {h["handedness"] for h in body["hands"]} == {"Left", "Right"}
    assert len(body["hands"][0]["landmarks"]) == 21


def test_bad_uploads(server, photos):
    status, body = post(server, "notes.txt", b"hello, not a photo")
    assert status == 415 and "notes.txt" in body["detail"]
    status, body = post(server, "big.jpg", b"\xff" * (1024 * 1024 + 10))
    assert status == 413
    data = open(photos[0], "rb").read()
    status, body = post(server, "cut.jpg", data[: len(data) // 3])
    assert status in (200, 415)  # a truncated JPEG decodes partly or not at all: never a 500
