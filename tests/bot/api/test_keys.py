"""API keys: shown once, stored only as a hash with who made them, revoked at once, bounded."""

from __future__ import annotations

import pytest
import redis

from bot.api.keys import (
    MAX_KEYS_PER_WORKSPACE,
    ApiKeyError,
    ApiKeyStore,
    hash_key,
    key_owner,
    looks_like_key,
)
from bot.keys import Workspace
from bot.prompts.audit import AuditLog

TEAM_A = Workspace("TA")
TEAM_B = Workspace("TB", enterprise_id="E1")


def everything_stored(client: redis.Redis) -> str:
    """Every key name and value in Redis, as one string to search."""
    parts = []
    for key in client.scan_iter():
        kind = client.type(key)
        if kind == "string":
            parts += [key, str(client.get(key))]
        elif kind == "hash":
            parts += [key, str(client.hgetall(key))]
        elif kind == "list":
            parts += [key, str(client.lrange(key, 0, -1))]
    return "\n".join(parts)


def test_a_key_is_shown_once_and_only_its_hash_is_kept(redis_client: redis.Redis) -> None:
    store = ApiKeyStore(redis_client, TEAM_A)
    record, secret = store.create("my-app", "U1")
    assert looks_like_key(secret) and secret.startswith("ab_") and len(secret) == 43
    assert (record.name, record.created_by, record.key_hash) == ("my-app", "U1", hash_key(secret))
    assert record.created_at
    assert secret not in everything_stored(redis_client)
    assert store.records() == [record]
    owner = key_owner(redis_client, secret)
    assert owner is not None and (owner.workspace, owner.name) == (TEAM_A, "my-app")
    audit = AuditLog(redis_client, TEAM_A).entries()
    assert [(e.user, e.action, e.detail) for e in audit] == [
        ("U1", "apikey-create", "created API key my-app")
    ]


def test_keys_are_random_and_find_their_own_workspace(redis_client: redis.Redis) -> None:
    _, first = ApiKeyStore(redis_client, TEAM_A).create("app", "U1")
    _, second = ApiKeyStore(redis_client, TEAM_B).create("app", "U2")
    assert first != second
    owner_a, owner_b = key_owner(redis_client, first), key_owner(redis_client, second)
    assert owner_a is not None and owner_a.workspace == TEAM_A
    assert owner_b is not None and owner_b.workspace == TEAM_B


def test_revoking_stops_the_key_at_once(redis_client: redis.Redis) -> None:
    store = ApiKeyStore(redis_client, TEAM_A)
    _, secret = store.create("my-app", "U1")
    _, kept = store.create("other", "U1")
    revoked = store.revoke("my-app", "U2")
    assert revoked.name == "my-app"
    assert key_owner(redis_client, secret) is None
    assert key_owner(redis_client, kept) is not None
    assert [r.name for r in store.records()] == ["other"]
    with pytest.raises(ApiKeyError, match="no API key named `my-app`"):
        store.revoke("my-app", "U2")
    assert AuditLog(redis_client, TEAM_A).entries()[-1].action == "apikey-revoke"


def test_names_are_unique_and_a_workspace_has_a_bounded_number(redis_client: redis.Redis) -> None:
    store = ApiKeyStore(redis_client, TEAM_A)
    store.create("app", "U1")
    with pytest.raises(ApiKeyError, match="already a key named"):
        store.create("app", "U1")
    for number in range(1, MAX_KEYS_PER_WORKSPACE):
        store.create(f"app{number}", "U1")
    with pytest.raises(ApiKeyError, match="the most it may have"):
        store.create("one-more", "U1")
    assert len(store.records()) == MAX_KEYS_PER_WORKSPACE


def test_anything_but_a_live_key_has_no_owner(redis_client: redis.Redis) -> None:
    _, secret = ApiKeyStore(redis_client, TEAM_A).create("app", "U1")
    for presented in ("", "ab_", secret[:-1], secret + "x", "xx" + secret[2:], secret.upper()):
        assert key_owner(redis_client, presented) is None
