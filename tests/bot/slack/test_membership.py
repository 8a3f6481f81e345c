"""Membership checks page through Slack's answers and fail closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack import membership
from tests.fakes.slack_emulator import SlackEmulator


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebClient]:
    monkeypatch.setattr(membership, "PAGE_SIZE", 2)  # several pages from a small channel
    with SlackEmulator() as slack:
        members = ["U01", "U02", "U03", "U04", "U05"]
        slack.add_channel("C0BIG", "big", members=members)
        slack.add_channel("C0HIDDEN", "hidden", is_private=True, members=["U09"])
        for number in range(5):
            slack.add_channel(f"C0PUB{number}", f"public-{number}")
        yield WebClient(token=slack.bot_token, base_url=slack.api_url)


def test_members_are_found_on_any_page(client: WebClient) -> None:
    assert membership.is_member(client, "C0BIG", "U05")
    assert not membership.is_member(client, "C0BIG", "U99")
    assert not membership.is_member(client, "C0NOWHERE", "U01")  # unknown: not a member


def test_names_resolve_among_public_channels_only(client: WebClient) -> None:
    assert membership.channel_id(client, "C0BIG") == "C0BIG"
    assert membership.channel_id(client, "#public-4") == "C0PUB4"
    assert membership.channel_id(client, "#hidden") is None
