"""HTTP mode: ``alignbot serve`` as a real process, and the app's server in-process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tests.fakes.bot_harness import BotProcess, InProcessBot, free_port, http_get, wait_until
from tests.fakes.probe_listeners import PROBE_COMMAND, SlowCommand
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slack_signing import SlackRequest, SlackSigner

STALE_SECONDS = 6 * 60  # Slack's window is 5 minutes


def test_probes_and_signature_checks_of_a_bot_process(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator, signer: SlackSigner
) -> None:
    bot = bot_process()

    assert bot.get("/healthz").status == 200
    assert bot.get("/readyz").status == 200
    # The token was checked against the configured Slack API at start-up.
    assert slack.calls_to("auth.test", ok_only=True)

    forged = bot.post(signer.command("help", secret="not-the-signing-secret"))
    stale = bot.post(signer.command("help", timestamp=int(time.time()) - STALE_SECONDS))
    unsigned = bot.post(SlackRequest(body="command=%2Falign&text=help", headers={}))
    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    assert bot.get("/slack/events").status == 404
    # Nothing reached a listener: no message was posted for the rejected requests.
    assert slack.calls_to("chat.postMessage") == []
    assert slack.calls_to("chat.postEphemeral") == []

    assert bot.stop() == 0
    assert "alignbot stopped" in bot.output()


def test_readyz_reports_unreachable_redis_while_healthz_stays_up(
    bot_process: Callable[..., BotProcess],
) -> None:
    closed_port = free_port()
    bot = bot_process(wait=False, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    bot.wait_log("listening on")

    assert bot.get("/healthz").status == 200
    answer = bot.get("/readyz")
    assert answer.status == 503
    assert "redis" in answer.body


def test_secrets_never_reach_the_log(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator
) -> None:
    bot = bot_process()
    bot.stop()

    log = bot.output()
    assert "starting with Settings(" in log
    for secret_name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "GEMINI_API_KEY"):
        assert bot.env[secret_name] not in log


def test_command_is_acked_before_its_lazy_work_runs(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    command = SlowCommand()
    bot = in_process_bot(command.register)

    answer = bot.command("slow thing", command=PROBE_COMMAND)

    # The ack came back while the work was still held at its gate.
    assert answer.status == 200
    assert answer.body == "working on it"
    assert slack.calls_to("chat.postMessage") == []
    command.gate.set()
    [post] = slack.wait_for("chat.postMessage")
    assert post.params["text"] == "done: slow thing"
    assert [w.team_id for w in command.workspaces] == ["T0EMULATED"]


def test_rate_limited_post_lands_exactly_once(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    command = SlowCommand()
    command.gate.set()
    bot = in_process_bot(command.register)
    slack.rate_limit_next("chat.postMessage", retry_after=1)

    bot.command("through the limit", command=PROBE_COMMAND)

    slack.wait_for("chat.postMessage", timeout=15)
    time.sleep(0.3)
    attempts = slack.calls_to("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert [m["text"] for m in slack.channel_messages("C0GENERAL")] == ["done: through the limit"]


def test_unknown_paths_are_404_and_health_needs_no_signature(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot()

    assert http_get(f"{bot.base_url}/nothing-here").status == 404
    assert bot.get("/healthz").body == "ok"
    assert bot.get("/readyz").body == "ready"


def test_shutdown_lets_work_in_flight_finish(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    command = SlowCommand()
    bot = in_process_bot(command.register)
    bot.command("almost done", command=PROBE_COMMAND)
    wait_until(lambda: command.workspaces, what="the lazy listener to start")

    stopping = threading.Thread(target=bot.stop)
    stopping.start()
    # New requests are refused while the started work is still running.
    wait_until(lambda: not _accepts_connections(bot), what="the server to stop listening")
    assert stopping.is_alive()

    command.gate.set()
    stopping.join(15)
    assert not stopping.is_alive()
    assert [m["text"] for m in slack.channel_messages("C0GENERAL")] == ["done: almost done"]


def _accepts_connections(bot: InProcessBot) -> bool:
    try:
        bot.get("/healthz")
    except OSError:
        return False
    return True


def test_a_token_slack_refuses_stops_start_up_with_a_message(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator
) -> None:
    slack.fail_next("auth.test", "invalid_auth")
    bot = bot_process(wait=False)
    assert bot.process is not None

    assert bot.process.wait(60) == 2
    assert "Slack refused SLACK_BOT_TOKEN" in bot.output()
    assert "OAuth & Permissions" in bot.output()
    assert "Traceback" not in bot.output()
