"""Every listener of the feedback loop, sharing one pool for their model work.

Two halves, registered at the two ends of the product's list. Bolt tries listeners in order and
every try costs time before the ack, so the interaction half (reactions, buttons, forms,
message shortcuts and the answers' "Feedback" menu), which matches only its own events, goes
first. The thread-reply half takes people's replies in threads that no listener before it
claimed, so it goes last.
"""

from __future__ import annotations

from slack_bolt import App

from bot.feedback import answer_listeners, buttons, reaction_listeners, reply_listeners
from bot.services import Services
from bot.transport.background import BackgroundWork, background_work_of


def warm_models(services: Services) -> None:
    """Build the model helpers now: the first build imports the provider's client library,
    a second of work that would otherwise stall the acks of the first feedback to arrive."""
    services.prompt_model  # noqa: B018 (built on first access)
    services.alignment_model  # noqa: B018


def register_interactions(app: App, services: Services, work: BackgroundWork) -> None:
    work.submit("building the models", warm_models, services)
    reaction_listeners.register(app, services, work)
    buttons.register(app, services, work)
    answer_listeners.register(app, services, work)


def register_replies(app: App, services: Services, work: BackgroundWork) -> None:
    reply_listeners.register(app, services, work)


def register(app: App, services: Services) -> None:
    """Both halves, for an app with no other listeners (tests of the feedback loop alone)."""
    work = background_work_of(app)
    register_interactions(app, services, work)
    register_replies(app, services, work)
