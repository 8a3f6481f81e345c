"""The requests-per-minute limit on model calls holds across processes sharing one Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from alignment._providers.gate import RequestGate
from alignment._providers.gemini import GeminiModelHelper
from alignment._providers.retry import RetryPolicy
from bot.config import Settings
from bot.keys import model_rate_limit_key
from bot.models.metered import MeteredModel
from bot.models.rate_limit import SharedRateLimit
from bot.redis_conn import RedisConnection
from bot.services import Services
from tests.fakes.bot_harness import REPO_ROOT, free_port
from tests.fakes.gemini_server import FakeGemini

KEY = "alignbot:ratelimit:model:test"


class FakeClock:
    """Seconds that move only when the limiter sleeps (or the test says so)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(client: redis.Redis, clock: FakeClock, limit: int = 3, window: float = 1.0) -> Any:
    return SharedRateLimit(client, KEY, limit, window, clock=clock, sleep=clock.sleep)


def test_permits_stop_at_the_limit_and_the_wait_names_when_one_frees(
    redis_client: redis.Redis,
) -> None:
    clock = FakeClock()
    limit = limiter(redis_client, clock)

    granted = [limit.try_acquire() for _ in range(3)]
    clock.now += 0.25
    refused = limit.try_acquire()

    assert all(g.granted for g in granted)
    assert not refused.granted
    # The oldest permit (at 1000.0) leaves the one-second window at 1001.0.
    assert refused.wait_seconds == pytest.approx(0.75)
    assert 0 < redis_client.pttl(KEY) <= 1000  # idle windows do not stay in Redis


def test_the_window_slides_rather_than_resetting(redis_client: redis.Redis) -> None:
    clock = FakeClock()
    limit = limiter(redis_client, clock, limit=2)

    assert limit.try_acquire().granted  # t = 1000.0
    clock.now += 0.6
    assert limit.try_acquire().granted  # t = 1000.6
    clock.now += 0.5  # 1001.1: the first permit has left the window, the second has not
    assert limit.try_acquire().granted
    assert not limit.try_acquire().granted
    clock.now += 0.5  # 1001.6: the permit of 1000.6 has left
    assert limit.try_acquire().granted
    assert not limit.try_acquire().granted


def test_acquire_waits_for_each_window_in_turn(redis_client: redis.Redis) -> None:
    clock = FakeClock()
    limit = limiter(redis_client, clock, limit=2)

    times = []
    for _ in range(5):
        grant = limit.wait_for_permit()
        assert grant is not None
        times.append(grant.at_ms)

    # Two per window: the third and fourth wait a window, the fifth waits two.
    assert [t - times[0] for t in times[:2]] == [0, 0]
    assert all(1000 <= t - times[0] < 1100 for t in times[2:4])
    assert 2000 <= times[4] - times[0] < 2200
    assert clock.sleeps and max(clock.sleeps) <= 1.0 + 0.02  # never one long blind sleep


def test_without_redis_requests_go_unpaced_and_the_outage_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = redis.Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2
    )
    limit = SharedRateLimit(unreachable, KEY, 1)

    with pytest.raises(redis.ConnectionError):
        limit.try_acquire()
    for _ in range(3):
        limit.acquire()  # returns instead of blocking the model call

    outages = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outages) == 1


def test_limits_of_different_models_are_counted_apart(redis_client: redis.Redis) -> None:
    clock = FakeClock()
    flash = SharedRateLimit(redis_client, model_rate_limit_key("gemini:flash"), 1, clock=clock)
    pro = SharedRateLimit(redis_client, model_rate_limit_key("gemini:pro"), 1, clock=clock)

    assert flash.try_acquire().granted and pro.try_acquire().granted
    assert not flash.try_acquire().granted and not pro.try_acquire().granted


# -- two processes --------------------------------------------------------------------------


class TwoClients:
    """Two ``rate_limit_client`` processes run phase by phase on one Redis."""

    def __init__(self, redis_url: str, client: redis.Redis, limit: int, window: float) -> None:
        self.client = client
        self.processes: list[subprocess.Popen[bytes]] = []
        self.args = [redis_url, KEY, str(limit), str(window)]

    def start(self, phases: list[str]) -> None:
        command = [sys.executable, "-m", "tests.bot.observability.rate_limit_client", *self.args]
        for _ in range(2):
            self.processes.append(
                subprocess.Popen(
                    [*command, *phases],
                    cwd=REPO_ROOT,
                    env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""},
                )
            )

    def run_phase(self, number: int, timeout: float = 30) -> list[list[int]]:
        """Open phase ``number`` for both at once; the grant times each one got."""
        self.client.rpush(f"{KEY}:go:{number}", "go", "go")
        results = []
        for _ in self.processes:
            popped = self.client.blpop([f"{KEY}:done:{number}"], timeout=timeout)
            assert popped is not None, f"a client did not finish phase {number}"
            results.append(json.loads(popped[1]))
        return results

    def stop(self) -> list[int]:
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait(5))
        return codes


@pytest.fixture
def two_clients(
    redis_url: str, redis_client: redis.Redis
) -> Iterator[Callable[[int, float], TwoClients]]:
    made: list[TwoClients] = []

    def make(limit: int, window: float) -> TwoClients:
        made.append(TwoClients(redis_url, redis_client, limit, window))
        return made[-1]

    yield make
    for clients in made:
        assert clients.stop() == [0] * len(clients.processes)


def test_two_processes_racing_for_permits_share_one_limit(
    two_clients: Callable[[int, float], TwoClients],
) -> None:
    clients = two_clients(25, 60.0)
    start = 5_000_000
    window_ms = 60_000
    # Each process tries 40 times per phase: 80 attempts against a limit of 25. However the
    # two interleave, the permits granted add up to the limit.
    clients.start(
        [f"try:40@{start}", f"try:40@{start + window_ms - 1}", f"try:40@{start + window_ms}"]
    )

    first = clients.run_phase(0)
    same_window = clients.run_phase(1)
    next_window = clients.run_phase(2)

    assert sum(len(times) for times in first) == 25
    assert sum(len(times) for times in same_window) == 0
    assert sum(len(times) for times in next_window) == 25


def test_two_waiting_processes_never_exceed_the_limit_in_any_window(
    two_clients: Callable[[int, float], TwoClients],
) -> None:
    limit, window_ms = 5, 300
    clients = two_clients(limit, window_ms / 1000)
    clients.start(["wait:8"])

    results = clients.run_phase(0)

    times = sorted(t for per_process in results for t in per_process)
    assert [len(per_process) for per_process in results] == [8, 8]
    for start in times:
        in_window = [t for t in times if start <= t < start + window_ms]
        assert len(in_window) <= limit, (start, in_window)
    # 16 permits at 5 per window need at least three more windows after the first.
    assert times[-1] - times[0] >= 3 * window_ms


# -- the hook in the model helpers ----------------------------------------------------------


class CountingGate:
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self) -> None:
        self.acquired += 1


def test_a_service_helper_passes_the_gate_before_every_request_retries_included(
    fake_gemini: FakeGemini,
) -> None:
    gate = CountingGate()
    assert isinstance(gate, RequestGate)
    helper = GeminiModelHelper(
        api_key="test-key",
        base_url=fake_gemini.url,
        retry=RetryPolicy(max_attempts=3, sleep=lambda seconds: None),
    )
    helper.request_gate = gate
    fake_gemini.queue(status=503, message="overloaded")
    fake_gemini.queue("fine now")

    assert helper.predict("hello", temperature=0.0) == "fine now"
    assert gate.acquired == 2 == len(fake_gemini.requests)


def test_the_bot_paces_built_helpers_by_the_rpm_setting(
    make_settings: Callable[..., Settings], redis_url: str, fake_gemini: FakeGemini
) -> None:
    settings = make_settings(ALIGN_MODEL_RPM="42", **fake_gemini.env)
    services = Services(settings=settings, redis_connection=RedisConnection(redis_url))
    try:
        model = services.prompt_model
        assert isinstance(model, MeteredModel)
        gate = model.inner.request_gate  # type: ignore[attr-defined]
        assert isinstance(gate, SharedRateLimit)
        assert (gate.limit, gate.window_ms) == (42, 60_000)
        assert gate.key == model_rate_limit_key(settings.model_spec)

        fake_gemini.queue("paced answer")
        assert model.predict("hello", 0.0) == "paced answer"
        assert services.redis.zcard(gate.key) == 1  # the request took a permit
    finally:
        services.close()


def test_without_the_setting_helpers_are_not_paced(
    make_settings: Callable[..., Settings], redis_url: str, fake_gemini: FakeGemini
) -> None:
    services = Services(
        settings=make_settings(**fake_gemini.env), redis_connection=RedisConnection(redis_url)
    )
    try:
        assert services.prompt_model.request_gate is None  # type: ignore[attr-defined]
    finally:
        services.close()


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "lots"])
def test_a_malformed_rpm_setting_is_named_at_start_up(
    make_settings: Callable[..., Settings], value: str
) -> None:
    from bot.config import SettingsError

    with pytest.raises(SettingsError) as caught:
        make_settings(ALIGN_MODEL_RPM=value)
    assert "ALIGN_MODEL_RPM" in caught.value.problems
