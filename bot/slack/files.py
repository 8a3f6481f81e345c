"""Files people share in Slack: what ``files.info`` says about one, and its bytes.

Slack serves a file's bytes at its ``url_private`` to requests that carry the bot token. The
token must never go anywhere else, so the URL (and any redirect) must point at Slack's file
hosts or at the Slack API host the bot is configured with. Uploads can be large, so the size is
checked before any byte is read (Slack's ``size`` field, then ``Content-Length``), and reading
stops as soon as the cap is passed in case neither told the truth.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

READ_CHUNK_BYTES = 64 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 30.0
# Kinds of file Slack reports for spreadsheet exports and text tables.
TABLE_FILETYPES = frozenset({"csv", "tsv", "text"})
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


class FileDownloadError(Exception):
    """The file could not be fetched; the message says what to do."""


class FileTooLargeError(FileDownloadError):
    def __init__(self, size: int | None, limit: int) -> None:
        self.size = size
        self.limit = limit
        # Without a declared size, only "more than the limit" is known.
        what = f"The file is {megabytes(size)}, over" if size is not None else "The file is over"
        super().__init__(
            f"{what} the {megabytes(limit, exact=False)} limit for uploads I read. Remove "
            "columns you do not need, or split the rows into smaller files."
        )


def megabytes(size: int, exact: bool = True) -> str:
    """'3.4 KB' or '12.0 MB'; limits (``exact=False``) drop a trailing '.0', as in '10 MB'."""
    unit, scale = ("KB", 1024) if size < 1024 * 1024 else ("MB", 1024 * 1024)
    text = f"{size / scale:.1f} {unit}"
    return text if exact else text.replace(f".0 {unit}", f" {unit}")


@dataclass(frozen=True)
class SharedFile:
    id: str
    name: str
    filetype: str
    mimetype: str
    size: int | None
    url_private: str
    user: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SharedFile:
        size = data.get("size")
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or data.get("title") or ""),
            filetype=str(data.get("filetype") or ""),
            mimetype=str(data.get("mimetype") or ""),
            size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            url_private=str(data.get("url_private_download") or data.get("url_private") or ""),
            user=str(data["user"]) if data.get("user") else None,
        )

    @property
    def looks_like_table(self) -> bool:
        """Whether this is plausibly a CSV export (the loader decides for sure)."""
        return (
            self.filetype.lower() in TABLE_FILETYPES
            or self.name.lower().endswith(TABLE_SUFFIXES)
            or self.mimetype.lower() in ("text/csv", "text/tab-separated-values")
        )


def file_info(client: WebClient, file_id: str) -> dict[str, Any]:
    """The ``file`` object of ``files.info``; FileDownloadError when Slack will not say."""
    try:
        response = client.files_info(file=file_id)
    except SlackApiError as error:
        code = error.response.get("error", "") if error.response is not None else ""
        raise FileDownloadError(
            f"I could not look up the file ({code}). Share it again, in a channel I am in."
        ) from error
    data = response.get("file")
    if not isinstance(data, dict):
        raise FileDownloadError("Slack sent no details for the file. Share it again.")
    return data


def shared_file(client: WebClient, file_id: str) -> SharedFile:
    return SharedFile.from_api(file_info(client, file_id))


def is_trusted_file_url(url: str, api_url: str) -> bool:
    """True for Slack's file hosts, or the host of the configured Slack API (a proxy or a
    local stand-in), so the bot token is only ever sent where Slack is."""
    parts, api = urlsplit(url), urlsplit(api_url)
    if parts.scheme == api.scheme and parts.netloc == api.netloc:
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


class _TrustedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a trusted host: urllib would send the token along."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not is_trusted_file_url(newurl, self.api_url):
            raise FileDownloadError("Slack sent the file from an unexpected place; not fetched.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(
    file: SharedFile,
    token: str,
    api_url: str,
    max_bytes: int,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
) -> bytes:
    """The file's bytes, read with ``token``; FileTooLargeError past ``max_bytes``."""
    if file.size is not None and file.size > max_bytes:
        raise FileTooLargeError(file.size, max_bytes)
    if not file.url_private or not is_trusted_file_url(file.url_private, api_url):
        raise FileDownloadError("Slack gave no usable download link for the file. Share it again.")
    request = urllib.request.Request(file.url_private, headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(_TrustedRedirects(api_url))
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FileTooLargeError(int(declared), max_bytes)
            return _read_capped(response, max_bytes)
    except urllib.error.HTTPError as error:
        raise FileDownloadError(
            f"Slack refused the download (HTTP {error.code}). Check that I am in the channel "
            "the file was shared in, then share it again."
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FileDownloadError(
            "The download from Slack failed part-way. Try again in a minute."
        ) from error


def _read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise FileTooLargeError(None, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
