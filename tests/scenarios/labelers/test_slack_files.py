"""Downloading a shared file: the bot token only goes to Slack, and big files are refused
before (or as soon as) they pass the cap."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from bot.slack.files import (
    FileDownloadError,
    FileTooLargeError,
    SharedFile,
    download,
    is_trusted_file_url,
)
from tests.fakes.slack_emulator import SlackEmulator, StoredFile


def shared(slack: SlackEmulator, content: bytes, **changes: object) -> SharedFile:
    data = slack.add_file(StoredFile("F0DL000001", "data.csv", content))
    return SharedFile.from_api({**data, **changes})


def test_a_file_is_read_with_the_bot_token(slack: SlackEmulator) -> None:
    file = shared(slack, b"comment,isHate\nhi,false\n")
    assert download(file, slack.bot_token, slack.api_url, 1000) == b"comment,isHate\nhi,false\n"
    with pytest.raises(FileDownloadError, match="HTTP 403"):
        download(file, "xoxb-someone-else", slack.api_url, 1000)


def test_a_declared_size_over_the_cap_is_refused_without_reading(slack: SlackEmulator) -> None:
    file = shared(slack, b"x" * 3000)
    with pytest.raises(FileTooLargeError, match=r"2\.9 KB, over the 2 KB limit"):
        download(file, slack.bot_token, slack.api_url, 2048)


def test_a_size_nobody_declared_is_capped_while_reading(streamer: str) -> None:
    file = SharedFile("F1", "a.csv", "csv", "text/csv", None, f"{streamer}/files/F1", None)
    with pytest.raises(FileTooLargeError, match=r"^The file is over the 100 KB limit"):
        download(file, "xoxb-token", f"{streamer}/api/", 100 * 1024)


def test_the_token_goes_only_to_slack_or_the_configured_api_host() -> None:
    api = "http://127.0.0.1:4000/api/"
    assert is_trusted_file_url("https://files.slack.com/files-pri/T1-F1/a.csv", api)
    assert is_trusted_file_url("http://127.0.0.1:4000/files/F1/a.csv", api)
    assert not is_trusted_file_url("http://files.slack.com/files-pri/a.csv", api)
    assert not is_trusted_file_url("https://files.slack.com.evil.test/a.csv", api)
    assert not is_trusted_file_url("http://127.0.0.1:4001/files/F1/a.csv", api)


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def streamer() -> Iterator[str]:
    """A server that sends 300 KB with no Content-Length, ending the body by closing."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b"x" * 10_000)

        def log_message(self, format: str, *args: object) -> None:
            pass

    yield from serve(Handler)


@pytest.fixture
def redirector() -> Iterator[str]:
    """A server that redirects every request elsewhere, as a hostile link would."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:9/steal")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    yield from serve(Handler)


def test_a_redirect_away_from_slack_is_not_followed(redirector: str) -> None:
    file = SharedFile("F1", "a.csv", "csv", "text/csv", 10, f"{redirector}/files/F1", None)
    with pytest.raises(FileDownloadError, match="unexpected place"):
        download(file, "xoxb-token", f"{redirector}/api/", 1000)


def test_a_link_that_is_not_slack_is_never_fetched(slack: SlackEmulator) -> None:
    file = SharedFile("F1", "a.csv", "csv", "text/csv", 10, "https://example.test/a.csv", None)
    with pytest.raises(FileDownloadError, match="no usable download link"):
        download(file, slack.bot_token, slack.api_url, 1000)
