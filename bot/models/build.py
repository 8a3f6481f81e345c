"""Building the helper a model spec names, with the provider settings the bot was configured with.

The settings may have come from ``.env`` rather than the process environment the helpers read by
default, so they are handed over; the library's provider registry gives each helper its own
provider's key and base URL only, never another provider's.
"""

from __future__ import annotations

from alignment.model_helper import ModelHelper, model_from_spec
from bot.config import Settings


def build_model(spec: str, settings: Settings) -> ModelHelper:
    """The helper for ``spec`` (already checked by ``load_settings``)."""
    return model_from_spec(spec, settings=settings.model_environment())
