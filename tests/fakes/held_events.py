"""An event process whose listener holds each event until a test lets it go.

In-process: ``HeldEcho(released=event.is_set).register`` as a registrar. As a process of its own
(so a test can SIGKILL it mid-work): ``python -m tests.fakes.held_events`` with a bot's
environment; it holds events while the Redis key ``RELEASE_KEY`` is absent and beats with a lease
of ``LEASE_VARIABLE`` seconds, so a test need not wait out the product's lease.

Either way the listener notes each event it starts on in ``STARTED_KEY`` (a Redis list) and,
once released, posts "held app_mention: {text}" to the channel.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.app import build_app
from bot.config import load_settings
from bot.services import Services
from bot.transport.event_queue import EventQueue
from bot.transport.pump import EventPump
from bot.transport.server import StopSignal

STARTED_KEY = "test:held:started"
RELEASE_KEY = "test:held:release"
LEASE_VARIABLE = "TEST_EVENT_LEASE_SECONDS"
POLL_SECONDS = 0.05


class HeldEcho:
    def __init__(self, released: Callable[[], bool], prefix: str = "held") -> None:
        self.released = released
        self.prefix = prefix

    def register(self, app: App, services: Services) -> None:
        def held_echo(event: dict[str, Any], client: WebClient) -> None:
            services.redis.rpush(STARTED_KEY, str(event.get("text", "")))
            while not self.released():
                time.sleep(POLL_SECONDS)
            text = f"{self.prefix} {event['type']}: {event.get('text', '')}"
            client.chat_postMessage(channel=event["channel"], text=text)

        app.event("app_mention")(held_echo)


def main() -> int:
    services = Services.from_settings(load_settings(dotenv_path=None))
    held = HeldEcho(released=lambda: bool(services.redis.exists(RELEASE_KEY)))
    app = build_app(services, registrars=[held.register])
    queue = EventQueue(services.redis, gone_seconds=float(os.environ[LEASE_VARIABLE]))
    pump = EventPump(app, queue, services.settings.slack_signing_secret).start()
    stop = StopSignal()
    stop.install()
    stop.wait()
    pump.stop()
    services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
