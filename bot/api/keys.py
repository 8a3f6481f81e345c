"""API keys: made in Slack (`/align apikey create NAME`), shown once, stored only as a hash.

A key is ``ab_`` plus 40 URL-safe random characters (240 bits), so a plain SHA-256 of it is a
safe thing to store: nobody can search a space that large for a preimage. The workspace keeps
its keys' records (name, hash, who made it, when) in one hash; a pointer from the hash to the
workspace is the only thing outside the workspace's namespace, and it is how a request with a
bare key finds whose it is. Creating and revoking write both in one MULTI.

Every request checks in Redis that its workspace still holds the key's record, so a revoked
key (or one whose workspace's data was removed after an uninstall) is refused at once by every
process serving the API. What a process remembers (``KeyDirectory``) is only whose a
key is, which never changes while the key lives; the check that it lives goes in the same round
trip as the request's reads, and a request whose key is gone gets nothing of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass

import redis
from redis.client import Pipeline

from bot.keys import Workspace, api_key_pointer
from bot.prompts.audit import audit_entry
from bot.prompts.runs import now_iso

KEY_PREFIX = "ab_"
KEY_RANDOM_CHARS = 40
_KEY_SHAPE = re.compile(rf"{KEY_PREFIX}[A-Za-z0-9_-]{{{KEY_RANDOM_CHARS}}}")
# Keys are for applications, one or a few each; a bound keeps a workspace's list readable.
MAX_KEYS_PER_WORKSPACE = 20
AUDIT_SUBJECT = "(api keys)"


class ApiKeyError(Exception):
    """A key could not be made or revoked; the message says why and what to do."""


@dataclass(frozen=True)
class ApiKeyRecord:
    name: str
    key_hash: str
    created_by: str
    created_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> ApiKeyRecord:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class KeyOwner:
    """Whose a presented key is: the workspace it reads, and the key's name there."""

    workspace: Workspace
    name: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    # token_urlsafe(30) gives exactly 40 characters from the URL-safe alphabet.
    return KEY_PREFIX + secrets.token_urlsafe(30)


def looks_like_key(text: str) -> bool:
    return _KEY_SHAPE.fullmatch(text) is not None


class ApiKeyStore:
    """The API keys of one workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.workspace = workspace
        self.key = workspace.keys.api_keys()

    def create(self, name: str, user: str) -> tuple[ApiKeyRecord, str]:
        """A new key named ``name``: its record and the key itself, which is never stored."""
        secret = new_key()
        record = ApiKeyRecord(name, hash_key(secret), user, now_iso())
        pointer = json.dumps(
            {
                "team": self.workspace.team_id,
                "enterprise": self.workspace.enterprise_id,
                "name": name,
            }
        )

        def attempt(pipe: Pipeline) -> None:
            if pipe.hexists(self.key, name):
                raise ApiKeyError(
                    f"There is already a key named `{name}`. Pick another name, or revoke it "
                    f"first with `/align apikey revoke {name}`."
                )
            if int(pipe.hlen(self.key)) >= MAX_KEYS_PER_WORKSPACE:
                raise ApiKeyError(
                    f"This workspace has {MAX_KEYS_PER_WORKSPACE} API keys, the most it may "
                    "have. Revoke one it no longer uses (`/align apikey list` shows them)."
                )
            pipe.multi()
            pipe.hset(self.key, name, record.to_json())
            pipe.set(api_key_pointer(record.key_hash), pointer)
            pipe.rpush(
                self.workspace.keys.audit(),
                audit_entry(user, "apikey-create", AUDIT_SUBJECT, f"created API key {name}"),
            )

        self.redis.transaction(attempt, self.key)
        return record, secret

    def records(self) -> list[ApiKeyRecord]:
        raw = self.redis.hgetall(self.key)
        return sorted((ApiKeyRecord.from_json(str(v)) for v in raw.values()), key=lambda r: r.name)

    def revoke(self, name: str, user: str) -> ApiKeyRecord:
        """Remove the key named ``name``; requests with it are refused from now on."""
        done: list[ApiKeyRecord] = []

        def attempt(pipe: Pipeline) -> None:
            done.clear()
            raw = pipe.hget(self.key, name)
            if raw is None:
                raise ApiKeyError(
                    f"There is no API key named `{name}`. `/align apikey list` shows the keys."
                )
            record = ApiKeyRecord.from_json(str(raw))
            pipe.multi()
            pipe.hdel(self.key, name)
            pipe.delete(api_key_pointer(record.key_hash))
            pipe.rpush(
                self.workspace.keys.audit(),
                audit_entry(user, "apikey-revoke", AUDIT_SUBJECT, f"revoked API key {name}"),
            )
            done.append(record)

        self.redis.transaction(attempt, self.key)
        return done[0]


def key_owner(client: redis.Redis, presented: str) -> KeyOwner | None:
    """Whose key ``presented`` is; None for anything that is not a live key.

    The pointer only says where to look: the key lives while its workspace's own record of it
    holds its hash. A pointer whose record is gone (the workspace's data was removed after an
    uninstall) is removed here.
    """
    if not looks_like_key(presented):
        return None
    key_hash = hash_key(presented)
    raw = client.get(api_key_pointer(key_hash))
    if raw is None:
        return None
    pointer = json.loads(str(raw))
    workspace = Workspace(str(pointer["team"]), pointer.get("enterprise") or None)
    owner = KeyOwner(workspace, str(pointer["name"]))
    if not holds(client.hget(workspace.keys.api_keys(), owner.name), key_hash):
        client.delete(api_key_pointer(key_hash))
        return None
    return owner


def holds(record: object, key_hash: str) -> bool:
    """Whether a workspace's stored record of a key (JSON, or None) is of the key ``key_hash``."""
    return record is not None and ApiKeyRecord.from_json(str(record)).key_hash == key_hash


class KeyDirectory:
    """Whose each live key is, remembered by hash in this process (a bounded map).

    ``lookup`` answers from memory or from Redis. Whoever uses a remembered answer must also
    check, in the same round trip as its reads, that the workspace still holds the key's
    record (``check`` queues that in a pipeline; the prompt read's script does it itself) and
    pass the outcome to ``confirm``, which forgets a key that is gone and says so. Dict
    operations are atomic, so the request threads share one directory without a lock.
    """

    MAX_REMEMBERED = 10_000

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._known: dict[str, KeyOwner] = {}

    def lookup(self, presented: str) -> tuple[str, KeyOwner] | None:
        """The key's hash and owner; None for anything that is not a live key."""
        if not looks_like_key(presented):
            return None
        key_hash = hash_key(presented)
        owner = self._known.get(key_hash)
        if owner is None:
            owner = key_owner(self.redis, presented)
            if owner is None:
                return None
            if len(self._known) >= self.MAX_REMEMBERED:
                self._known.clear()
            self._known[key_hash] = owner
        return key_hash, owner

    @staticmethod
    def check(pipe: Pipeline, owner: KeyOwner) -> None:
        pipe.hget(owner.workspace.keys.api_keys(), owner.name)

    def confirm(self, key_hash: str, record: object) -> bool:
        """Whether what ``check`` read is still this key's record; a key gone is forgotten."""
        if holds(record, key_hash):
            return True
        self._known.pop(key_hash, None)
        return False
