"""An unreachable Hub (nothing listening at HF_ENDPOINT): one line, exit code 2, at once.

Without the reachability check huggingface_hub and datasets retry for ~23 s before failing, and
datasets' ConnectionError used to end in a traceback.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rd_data._hub_errors import translate_hub_error
from rd_data._hub_reach import hub_unreachable_reason
from rd_data.errors import DownloadError, OfflineError

FAST = 15.0  # seconds; the retries alone take 1+2+4+8+8 = 23 s (generous: shared CI machine)


@pytest.fixture
def closed_endpoint() -> Iterator[str]:
    """http://127.0.0.1:<port> where a bound but not listening socket refuses connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # holding the port keeps anyone else from listening there
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["rd-download-dataset", "--name", "squad"],
        ["rd-download-dataset", "--name", "org/pairs", "--split", "train"],
        ["rd-download-model", "--repo-id", "bert-base-uncased"],
        ["rd-download-model", "--repo-id", "org/tiny-model", "--filename", "config.json"],
    ],
)
def test_cli_with_unreachable_hub_fails_fast_in_one_line(
    run, closed_endpoint: str, argv: list[str]
) -> None:
    start = time.perf_counter()
    result = run.cli(*argv, HF_ENDPOINT=closed_endpoint)
    elapsed = time.perf_counter() - start

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    kind = "dataset" if argv[0] == "rd-download-dataset" else "model"
    assert lines[0].startswith(f"error: cannot reach {closed_endpoint} ("), lines[0]
    assert f"download {kind} '{argv[2]}'" in lines[0]
    assert elapsed < FAST, f"took {elapsed:.1f} s"
    assets = Path(run.env["RD_ASSETS_DIR"])
    assert [p for p in assets.rglob("*") if p.name not in ("datasets", "models")] == []


def test_unreachable_hub_still_serves_a_model_from_the_hf_cache(run, closed_endpoint) -> None:
    cached = run.python("from huggingface_hub import snapshot_download as s; s('org/tiny-model')")
    assert cached.returncode == 0, cached.stderr

    start = time.perf_counter()
    result = run.cli(
        "rd-download-model", "--repo-id", "org/tiny-model", HF_ENDPOINT=closed_endpoint
    )

    assert result.returncode == 0, result.stderr
    target = Path(run.env["RD_ASSETS_DIR"]) / "models" / "org" / "tiny-model"
    assert result.stdout.strip() == str(target)
    assert (target / "config.json").read_bytes() == b'{"d_model": 4}'
    assert time.perf_counter() - start < FAST
    # Served from the cache alone, the copy is not marked complete: the cache may hold only
    # part of the snapshot, and the next call with the Hub in reach must fetch the rest.
    marker = json.loads((target / ".rd-data.json").read_text())
    assert marker["complete"] is False


@pytest.mark.parametrize(
    "argv",
    [
        ["rd-download-dataset", "--name", "org/pairs"],
        ["rd-download-model", "--repo-id", "org/tiny-model"],
        ["rd-download-model", "--repo-id", "org/tiny-model", "--filename", "config.json"],
    ],
)
def test_forced_download_with_unreachable_hub_keeps_the_saved_copy(
    run, closed_endpoint: str, argv: list[str]
) -> None:
    first = run.cli(*argv)
    assert first.returncode == 0, first.stderr
    assets = Path(run.env["RD_ASSETS_DIR"])
    before = {p: p.read_bytes() for p in sorted(assets.rglob("*")) if p.is_file()}

    result = run.cli(*argv, "--force", HF_ENDPOINT=closed_endpoint)

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    kind = "dataset" if argv[0] == "rd-download-dataset" else "model"
    assert result.stderr.startswith(f"error: cannot reach {closed_endpoint} ("), result.stderr
    assert f"download {kind} '{argv[2]}' again; the copy saved in assets/ is unchanged" in (
        result.stderr
    )
    assert {p: p.read_bytes() for p in sorted(assets.rglob("*")) if p.is_file()} == before
    again = run.cli(*argv, HF_ENDPOINT=closed_endpoint)  # without --force: the saved copy
    assert again.returncode == 0, again.stderr


def test_forced_model_download_in_offline_mode_keeps_the_saved_copy(run) -> None:
    first = run.cli("rd-download-model", "--repo-id", "org/tiny-model")
    assert first.returncode == 0, first.stderr
    target = Path(run.env["RD_ASSETS_DIR"]) / "models" / "org" / "tiny-model"
    marker = (target / ".rd-data.json").read_text()
    assert json.loads(marker)["complete"] is True

    result = run.cli(
        "rd-download-model", "--repo-id", "org/tiny-model", "--force", HF_HUB_OFFLINE="1"
    )

    assert result.returncode == 2, result.stderr
    assert "(offline mode: HF_HUB_OFFLINE is set)" in result.stderr
    assert "the copy saved in assets/ is unchanged" in result.stderr
    assert (target / ".rd-data.json").read_text() == marker  # still complete


def test_reachability_check(hub, closed_endpoint, monkeypatch) -> None:
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    assert hub_unreachable_reason(hub.url) is None
    assert hub_unreachable_reason(closed_endpoint) is not None
    monkeypatch.setenv("HF_ENDPOINT", closed_endpoint)
    assert hub_unreachable_reason() is not None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline: the libraries never connect anyway
    assert hub_unreachable_reason() is None


def test_reachability_check_cannot_tell_through_a_proxy(closed_endpoint, monkeypatch) -> None:
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    assert hub_unreachable_reason(closed_endpoint) is None
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    assert hub_unreachable_reason(closed_endpoint) is not None


# --- translation of what the libraries raise when the check could not tell ------------------
# Matched by class name, like the real huggingface_hub / httpx classes.


class LocalEntryNotFoundError(FileNotFoundError):
    pass


class ConnectError(Exception):
    pass


class RemoteProtocolError(Exception):
    pass


def _raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise exc from cause
    except BaseException as raised:
        return raised


def _translate(exc: BaseException):
    return translate_hub_error(exc, kind="dataset", name="squad", revision=None)


def test_datasets_connection_error_without_its_cause_is_an_offline_error(monkeypatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    # datasets: `raise ConnectionError("Couldn't reach ...") from e`, then `raise e1 from None`
    error = ConnectionError("Couldn't reach 'squad' on the Hub (LocalEntryNotFoundError)")
    error.__context__ = FileNotFoundError("Dataset squad is not cached in None")
    error.__suppress_context__ = True

    translated = _translate(error)

    assert isinstance(translated, OfflineError)
    assert str(translated).startswith("cannot reach ")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "offline mode is on" in str(_translate(error))


def test_hub_local_entry_error_from_a_connect_error_is_an_offline_error(monkeypatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    refused = _raised(ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111))
    error = _raised(LocalEntryNotFoundError("check your connection"), refused)

    assert isinstance(_translate(error), OfflineError)


def test_a_connection_cut_mid_transfer_is_not_an_offline_error() -> None:
    cut = _raised(ConnectionError("Server Disconnected"), RemoteProtocolError("peer closed"))
    assert isinstance(_translate(cut), DownloadError)
    assert _translate(ConnectionError("Server Disconnected")) is None  # no known cause: a bug
