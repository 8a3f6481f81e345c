"""Run the bot for a test and talk to it like Slack does.

Two ways to run it, both over real HTTP against the Slack emulator:

- :class:`BotProcess`: ``alignbot serve`` as a child process with its whole configuration in
  the environment (emulator URL, fake model server, test Redis, signing secret). This is the
  product exactly as deployed.
- :class:`InProcessBot`: the same app and HTTP server in a thread of the test process, with
  listeners the test chooses; for middleware tests that need a listener of their own.

Either way a test sends signed requests (:class:`tests.fakes.slack_signing.SlackSigner`) and then
waits for the resulting Web API calls on the emulator (``slack.wait_for(...)``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from bot.app import Registrar, build_app
from bot.services import Services
from bot.transport.background import shutdown_listeners
from bot.transport.event_queue import EventQueue
from bot.transport.pump import EventPump
from bot.transport.server import StopSignal, WsgiApp, serve_http, serve_socket_mode
from tests.fakes.leftovers import marker_environment
from tests.fakes.slack_emulator import APP_TOKEN, SlackEmulator
from tests.fakes.slack_signing import SIGNING_SECRET, HttpAnswer, SlackRequest, SlackSigner, send

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = "gemini:gemini-2.5-flash"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    check: Callable[[], T | None], timeout: float = 10, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5) -> HttpAnswer:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), dict(error.headers))


def bot_environment(
    slack: SlackEmulator,
    redis_url: str,
    data_dir: Path,
    model_env: Mapping[str, str] | None = None,
    socket_mode: bool = False,
    port: int | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The environment of a bot process wired to the emulator, test Redis and a model server.

    ``model_env`` is the fake model server's variables (``FakeGemini.env``); without it the bot
    gets a key and an unreachable local endpoint, so no test can reach a real model.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **marker_environment(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "ALIGN_DATA_DIR": str(data_dir),
        "ALIGN_MODEL": DEFAULT_MODEL,
        "PORT": str(port or free_port()),
    }
    env.update(
        model_env
        or {"GEMINI_API_KEY": "unused-key", "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9"}
    )
    if socket_mode:
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    env.update(overrides)
    return {name: value for name, value in env.items() if value != ""}


class _SlackClientSide:
    """Sending signed requests to a running bot; subclasses say where it listens."""

    signer: SlackSigner

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def post(self, request: SlackRequest) -> HttpAnswer:
        return send(self.events_url, request)

    def command(self, text: str, **fields: Any) -> HttpAnswer:
        return self.post(self.signer.command(text, **fields))

    def event(self, event: dict[str, Any], **fields: Any) -> HttpAnswer:
        return self.post(self.signer.event(event, **fields))

    def interaction(self, payload: dict[str, Any], **signing: Any) -> HttpAnswer:
        return self.post(self.signer.interaction(payload, **signing))

    def get(self, path: str) -> HttpAnswer:
        return http_get(f"{self.base_url}{path}")


class BotProcess(_SlackClientSide):
    """``alignbot serve`` in a child process; output goes to ``log_path`` for failure messages."""

    def __init__(
        self,
        env: Mapping[str, str],
        workdir: Path,
        args: Sequence[str] = ("serve",),
        signer: SlackSigner | None = None,
    ) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.args = list(args)
        self.signer = signer or SlackSigner()
        self.log_path = workdir / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    def start(self) -> BotProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        # The working directory is the test's own, so no developer .env is picked up.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *self.args],
            cwd=self.workdir,
            env={**self.env, "PYTHONPATH": str(REPO_ROOT)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 30) -> BotProcess:
        def ready() -> bool:
            self._fail_if_exited()
            try:
                return self.get("/readyz").status == 200
            except OSError:
                return False

        wait_until(ready, timeout, interval=0.1, what=f"the bot to be ready\n{self.output()}")
        return self

    def wait_log(self, text: str, timeout: float = 30) -> None:
        def logged() -> bool:
            self._fail_if_exited()
            return text in self.output()

        wait_until(logged, timeout, interval=0.1, what=f"{text!r} in the log\n{self.output()}")

    def _fail_if_exited(self) -> None:
        assert self.process is not None, "start() the bot first"
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal the bot and wait for it to exit; returns its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode

    def run_to_exit(self, timeout: float = 30) -> tuple[int, str]:
        """Run a command that is expected to exit by itself; returns exit code and output."""
        self.start()
        assert self.process is not None
        self.process.wait(timeout)
        self.stop()
        return self.process.returncode, self.output()


class InProcessBot(_SlackClientSide):
    """The product's app and runner in a thread, with the listeners a test registers.

    The runner is the one the settings choose: the HTTP server, or Socket Mode when the settings
    carry an app token (then requests arrive through ``slack.socket_mode.push``). Over HTTP,
    events are acked into the event queue and applied by this bot's own event pump, as
    ``alignbot serve`` does with ``ALIGN_EVENT_PROCESSES=0``.
    """

    def __init__(
        self,
        services: Services,
        registrars: Sequence[Registrar],
        signer: SlackSigner | None = None,
        api: WsgiApp | None = None,
    ) -> None:
        self.services = services
        self.signer = signer or SlackSigner()
        self.app = build_app(services, registrars=registrars)
        self._stop = StopSignal()
        self.queue = EventQueue(services.redis)
        self.pump: EventPump | None = None
        runner: Callable[..., None]
        kwargs: dict[str, Any]
        if services.settings.socket_mode:
            runner, kwargs = (
                serve_socket_mode,
                {"stop": self._stop, "api": api, "host": "127.0.0.1"},
            )
        else:
            self.pump = EventPump(self.app, self.queue, services.settings.slack_signing_secret)
            kwargs = {"host": "127.0.0.1", "stop": self._stop, "events_here": False, "api": api}
            runner = serve_http
        self._thread = threading.Thread(
            target=runner, args=(self.app, services), kwargs=kwargs, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.services.settings.port}"

    def start(self) -> InProcessBot:
        self._thread.start()
        if self.pump is not None:
            self.pump.start()
        if self.services.settings.socket_mode:
            return self

        def healthy() -> bool:
            try:
                return self.get("/healthz").status == 200
            except OSError:
                return False

        wait_until(healthy, 10, what="the in-process bot to listen")
        return self

    def finish_work(self, timeout: float = 30) -> None:
        """Apply every queued event, then wait for all work the bot started to end.

        The bot takes no more events afterwards; requests it answers itself (commands,
        buttons) still work.
        """
        if self.pump is not None:
            wait_until(lambda: self.queue.depth() == 0, timeout, what="the event queue to empty")
            # Stopping lets the pump finish the delivery it may have just taken.
            self.pump.stop()
        shutdown_listeners(self.app)

    def stop(self) -> None:
        if self.pump is not None:
            self.pump.stop()
        self._stop.set()
        self._thread.join(15)
