"""Who may change what a prompt says, and who may administer labelers.

Without ``ALIGN_ADMINS`` everyone in the workspace may, which suits a small team. With it, only
the listed Slack user ids may change a prompt's text or history, retrain a labeler or point its
notifications; everyone else is told who can. Feedback (reactions, replies) stays open to every
member, since it is the point of the bot; its Undo belongs to the person who gave the feedback
(or an admin), and a training run's starter may cancel it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Slack user ids: U or W followed by upper-case letters and digits.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

# What each restricted action is called in a refusal: "Only the bot's admins can <this>."
_ACTION_WORDS = {
    "apply": "apply prompts",
    "rollback": "rollback prompts",
    "delete": "delete prompts",
    "restore": "restore prompts",
    "edit": "edit prompts",
    "revise": "revise prompts",
    "promote": "move prompt labels",
    "config": "change prompts' model settings",
    "apikey": "create or revoke API keys",
    "undo": "undo someone else's change",
    "retrain": "retrain an existing labeler",
    "notify": "change a labeler's notifications",
    "cancel": "cancel someone else's training",
    "make-current": "make a compared version current",
}

# The operations that change a prompt's text or history, or administer a labeler, for everyone.
RESTRICTED_ACTIONS = frozenset(_ACTION_WORDS)


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

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    def allows(self, user: str, action: str, owner: str | None = None) -> bool:
        """May ``user`` do ``action``? ``owner`` (who gave the feedback, who started the run)
        may always act on their own thing."""
        if not self.restricted or action not in RESTRICTED_ACTIONS or user in self.admins:
            return True
        return owner is not None and owner == user

    def refusal(self, action: str) -> str:
        who = ", ".join(f"<@{admin}>" for admin in sorted(self.admins))
        what = _ACTION_WORDS.get(action, f"{action} prompts")
        return f"Only the bot's admins can {what}. Ask {who}."
