"""Block Kit for `/align apikey`: the new key (shown once), the list, a revocation."""

from __future__ import annotations

from collections.abc import Sequence

from bot.api.keys import MAX_KEYS_PER_WORKSPACE, ApiKeyRecord
from bot.slack.blocks import Message, mrkdwn_context, mrkdwn_section


def key_created(record: ApiKeyRecord, secret: str) -> Message:
    return Message(
        text=f"API key {record.name} created",
        blocks=[
            mrkdwn_section(
                f":key: API key *`{record.name}`* for this workspace's prompts:\n```{secret}```"
            ),
            mrkdwn_context(
                "Copy it now: it is shown only this once, and only its hash is kept. Send it as "
                "`Authorization: Bearer <key>` to `/api/v1/prompts`. Revoke it with "
                f"`/align apikey revoke {record.name}`."
            ),
        ],
    )


def key_list(records: Sequence[ApiKeyRecord]) -> Message:
    if not records:
        return Message(
            text="No API keys",
            blocks=[mrkdwn_section("No API keys yet. Make one with `/align apikey create NAME`.")],
        )
    lines = [f"• `{r.name}`, made by <@{r.created_by}> at {r.created_at}" for r in records]
    head = f"*API keys of this workspace* ({len(records)} of at most {MAX_KEYS_PER_WORKSPACE})"
    return Message(
        text=f"{len(records)} API keys", blocks=[mrkdwn_section(head + "\n" + "\n".join(lines))]
    )


def key_revoked(record: ApiKeyRecord, user: str) -> Message:
    return Message(
        text=f"API key {record.name} revoked",
        blocks=[
            mrkdwn_section(
                f":no_entry: <@{user}> revoked API key `{record.name}` (made by "
                f"<@{record.created_by}>): requests with it are refused from now on."
            )
        ],
    )
