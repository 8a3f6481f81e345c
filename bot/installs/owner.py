"""Whose installation: one workspace, or a whole Enterprise Grid org (an org-wide install)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Owner:
    """One workspace, or an org when ``team_id`` is None (installed org-wide)."""

    enterprise_id: str | None
    team_id: str | None

    @classmethod
    def of(
        cls, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Owner:
        """An org-wide install belongs to the org, whichever of its workspaces a request names."""
        return cls(enterprise_id or None, None if is_enterprise_install else team_id or None)

    @classmethod
    def of_event(cls, body: Mapping[str, Any]) -> Owner | None:
        """The installation an Events API delivery was sent for: its first authorization
        (Enterprise Grid names the org-wide install there), else the body's own ids."""
        authorizations = body.get("authorizations")
        if isinstance(authorizations, list) and authorizations:
            first = authorizations[0]
            if isinstance(first, Mapping) and (first.get("team_id") or first.get("enterprise_id")):
                return cls.of(
                    _text(first.get("enterprise_id")),
                    _text(first.get("team_id")),
                    bool(first.get("is_enterprise_install")),
                )
        team, enterprise = _text(body.get("team_id")), _text(body.get("enterprise_id"))
        if team is None and enterprise is None:
            return None
        return cls(enterprise, team)

    def marker(self) -> str:
        """The owner as one stable string (a Redis set member)."""
        return json.dumps({"enterprise": self.enterprise_id, "team": self.team_id}, sort_keys=True)

    @classmethod
    def from_marker(cls, text: str) -> Owner:
        data = json.loads(text)
        return cls(data.get("enterprise") or None, data.get("team") or None)

    def owns(self, team_id: str, enterprise_id: str | None) -> bool:
        """Whether a workspace's data belongs to this installation."""
        if self.team_id is None:
            return enterprise_id == self.enterprise_id
        return team_id == self.team_id and enterprise_id == self.enterprise_id

    def __str__(self) -> str:
        return f"team {self.team_id or 'every team'}, enterprise {self.enterprise_id or '-'}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
