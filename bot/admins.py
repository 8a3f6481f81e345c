"""Who may apply, roll back, delete and restore prompts.

Without ``ALIGN_ADMINS`` everyone in the workspace may, which suits a small team. With it, only
the listed Slack user ids may; everyone else is told who can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Slack user ids: U or W followed by upper-case letters and digits.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

# The operations that rewrite or remove a prompt's history for everyone.
RESTRICTED_ACTIONS = frozenset({"apply", "rollback", "delete", "restore"})


class AdminListError(ValueError):
    """``ALIGN_ADMINS`` holds something that is not a Slack user id."""


def parse_admins(text: str | None) -> frozenset[str]:
    """User ids from a comma- or space-separated list; ``<@U123>`` mentions are accepted."""
    if not text:
        return frozenset()
    ids = set()
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        user = item.removeprefix("<@").removesuffix(">").split("|", 1)[0]
        if not _USER_ID.fullmatch(user):
            raise AdminListError(f"{item!r} is not a Slack user id (like U012AB3CD)")
        ids.add(user)
    return frozenset(ids)


@dataclass(frozen=True)
class AdminPolicy:
    admins: frozenset[str] = frozenset()

    @property
    def restricted(self) -> bool:
        return bool(self.admins)

    def allows(self, user: str, action: str) -> bool:
        return not self.restricted or action not in RESTRICTED_ACTIONS or user in self.admins

    def refusal(self, action: str) -> str:
        who = ", ".join(f"<@{admin}>" for admin in sorted(self.admins))
        return f"Only the bot's admins can {action} prompts. Ask {who}."
