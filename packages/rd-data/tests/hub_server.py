"""A loopback Hugging Face Hub: a stdlib HTTP server answering what the real clients ask.

`LoopbackHub` serves in-memory repos on 127.0.0.1 (random port): repo info
(`/api/{models|datasets}/{repo}[/revision/{rev}]`), tree listings (`.../tree/{rev}[/{dir}]`) and
`HEAD`/`GET /[datasets/]{repo}/resolve/{rev}/{path}` with `X-Repo-Commit`, `ETag`,
`Content-Length` and byte ranges (206 + `Content-Range`). Errors carry the Hub's `X-Error-Code`:
`RepoNotFound`, `RevisionNotFound`, `EntryNotFound` (404) and `GatedRepo` (401). It sends no Xet
headers, so clients use plain HTTP even with hf_xet installed.

Uploads, as `HfApi.create_repo` and `upload_folder` make them: `POST /api/repos/create`,
`POST /api/validate-yaml` (a model card's metadata, always valid here),
`POST /api/{models|datasets}/{repo}/preupload/main` (every file "regular": sent inline, no LFS)
and `POST .../commit/main` (NDJSON with base64 files). They need an `Authorization: Bearer`
header (401 without); `tokens` logs the tokens received.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import struct
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Repo:
    files: dict[str, bytes]
    gated: bool = False
    cut: set[str] = field(default_factory=set)
    """Files whose first GET is cut mid-body; every later GET of them gets 503."""


class LoopbackHub:
    """Hub-compatible server holding in-memory repos; `requests` logs "METHOD /path" lines."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[str] = []
        self.tokens: list[str] = []
        self.served_cut: set[str] = set()
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, kind: str, repo_id: str, repo: Repo) -> None:
        self.repos[(kind, repo_id)] = repo

    def reset(self) -> None:
        self.requests.clear()
        self.tokens.clear()
        self.served_cut.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_JSON = {"Content-Type": "application/json"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: LoopbackHub

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self.hub.requests.append(f"POST {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
        self.hub.tokens.append(auth.removeprefix("Bearer "))
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        if path == "api/validate-yaml":  # a README.md's metadata: all accepted
            return self._reply(200, json.dumps({"errors": [], "warnings": []}).encode(), _JSON)
        if path == "api/repos/create":
            request = json.loads(body)
            org, name = request.get("organization"), request["name"]
            repo_id = f"{org}/{name}" if org else name
            key = (request.get("type") or "model", repo_id)
            url = f"{self.hub.url}/{repo_id}"
            if key in self.hub.repos:  # the Hub's answer names the repository too
                body = json.dumps({"error": "You already created this model repo", "url": url})
                return self._reply(409, body.encode(), _JSON)
            self.hub.repos[key] = Repo({})
            return self._reply(200, json.dumps({"url": url}).encode(), _JSON)
        for action in ("/preupload/", "/commit/"):
            if path.startswith(("api/models/", "api/datasets/")) and action in path:
                _, plural, rest = path.split("/", 2)
                repo_id, revision = rest.split(action, 1)
                repo = self._repo(plural[:-1], repo_id, revision)
                if repo is not None:
                    if action == "/preupload/":
                        self._preupload(body)
                    else:
                        self._commit(repo, repo_id, body)
                return None
        return self._error(404, "NotFound", f"no route for POST {self.path}")

    def _preupload(self, body: bytes) -> None:
        files = [
            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
            for f in json.loads(body)["files"]
        ]
        self._reply(200, json.dumps({"files": files}).encode(), _JSON)

    def _commit(self, repo: Repo, repo_id: str, body: bytes) -> None:
        for line in body.splitlines():
            entry = json.loads(line)
            if entry["key"] == "file":
                value = entry["value"]
                repo.files[value["path"]] = base64.b64decode(value["content"])
        reply = {"commitUrl": f"{self.hub.url}/{repo_id}/commit/{SHA}", "commitOid": SHA}
        self._reply(200, json.dumps({**reply, "pullRequestUrl": None}).encode(), _JSON)

    def _reply(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, code: int, error_code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        headers = {"X-Error-Code": error_code, "X-Error-Message": message}
        self._reply(
            code, body, {**headers, "X-Repo-Commit": SHA, "Content-Type": "application/json"}
        )

    def _route(self) -> None:
        self.hub.requests.append(f"{self.command} {self.path}")
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path).lstrip("/")
        query = urllib.parse.parse_qs(url.query)
        if path.startswith(("api/models/", "api/datasets/")):
            _, plural, rest = path.split("/", 2)
            return self._api(plural[:-1], rest, query)
        kind = "model"
        if path.startswith("datasets/"):
            kind, path = "dataset", path[len("datasets/") :]
        if "/resolve/" not in path:
            return self._error(404, "NotFound", f"no route for {self.path}")
        repo_id, tail = path.split("/resolve/", 1)
        revision, _, file = tail.partition("/")
        self._resolve(kind, repo_id, revision, file)

    def _repo(self, kind: str, repo_id: str, revision: str) -> Repo | None:
        repo = self.hub.repos.get((kind, repo_id))
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
        elif revision not in ("main", SHA):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return repo

    def _api(self, kind: str, rest: str, query: dict[str, list[str]]) -> None:
        repo_id, marker, tail = rest, "", "main"
        for candidate in ("/revision/", "/tree/"):
            if candidate in rest:
                repo_id, tail = rest.split(candidate, 1)
                marker = candidate
        revision, _, folder = tail.partition("/")
        repo = self._repo(kind, repo_id, revision)
        if repo is None:
            return
        if marker == "/tree/":
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            entries = _tree(repo.files, folder.strip("/"), recursive)
            return self._reply(
                200, json.dumps(entries).encode(), {"Content-Type": "application/json"}
            )
        info = {
            "id": repo_id,
            "sha": SHA,
            "private": False,
            "gated": "auto" if repo.gated else False,
            "disabled": False,
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
            "tags": [],
            "lastModified": "2026-01-01T00:00:00.000Z",
        }
        self._reply(200, json.dumps(info).encode(), {"Content-Type": "application/json"})

    def _resolve(self, kind: str, repo_id: str, revision: str, file: str) -> None:
        repo = self._repo(kind, repo_id, revision)
        if repo is None:
            return
        if repo.gated:
            return self._error(401, "GatedRepo", "Access to this repository is restricted.")
        data = repo.files.get(file)
        if data is None:
            return self._error(404, "EntryNotFound", f"{file} does not exist")
        headers = {
            "X-Repo-Commit": SHA,
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        code, body = 200, data
        byte_range = self.headers.get("Range", "")
        if byte_range.startswith("bytes="):
            start_text, _, end_text = byte_range[len("bytes=") :].partition("-")
            start = int(start_text)
            end = int(end_text) if end_text else len(data) - 1
            code, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{start + len(body) - 1}/{len(data)}"
        if self.command == "GET" and file in repo.cut:
            key = f"{kind}:{repo_id}:{file}"
            if key in self.hub.served_cut:
                return self._error(503, "ServiceUnavailable", "the server went away")
            self.hub.served_cut.add(key)
            return self._cut(code, body, headers)
        self._reply(code, body, headers)

    def _cut(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        """Announce the whole body, send half of it, then drop the connection."""
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _tree(files: dict[str, bytes], folder: str, recursive: bool) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    seen: set[str] = set()
    prefix = f"{folder}/" if folder else ""
    for path, data in sorted(files.items()):
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        for depth in range(1, len(parts) if recursive else min(2, len(parts))):
            directory = prefix + "/".join(parts[:depth])
            if directory not in seen:
                seen.add(directory)
                oid = hashlib.sha1(directory.encode()).hexdigest()
                entries.append({"type": "directory", "path": directory, "oid": oid})
        if recursive or len(parts) == 1:
            oid = hashlib.sha1(data).hexdigest()
            entries.append({"type": "file", "path": path, "size": len(data), "oid": oid})
    return entries


def parquet_bytes(columns: dict[str, list[object]]) -> bytes:
    """A parquet file holding `columns`, made with pyarrow (a dependency of datasets)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def safetensors_bytes(num_floats: int) -> bytes:
    """A valid safetensors file with one float32 tensor `weight` of `num_floats` zeros."""
    header = {
        "weight": {"dtype": "F32", "shape": [num_floats], "data_offsets": [0, 4 * num_floats]}
    }
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + bytes(4 * num_floats)
