"""One client is shared by many threads: the same prompt asked for at once costs one request."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alignment import PromptClient, ServedPrompt
from tests.alignment.prompt_client.conftest import CACHE_SECONDS, FakeClock
from tests.fakes.prompt_api_server import PromptAPIServer

THREADS = 16


def _all_at_once(client: PromptClient, names: list[str]) -> list[ServedPrompt]:
    start = threading.Barrier(len(names))

    def get(name: str) -> ServedPrompt:
        start.wait()
        return client.get(name)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(get, names))


def test_many_threads_asking_for_one_prompt_make_one_request(
    api: PromptAPIServer, client: PromptClient
) -> None:
    # The server holds its answer back, so every thread asks while the first request is open.
    api.delay = 0.3
    prompts = _all_at_once(client, ["uses"] * THREADS)
    assert api.count("/api/v1/prompts/uses") == 1
    assert all(prompt is prompts[0] for prompt in prompts)


def test_many_threads_revalidating_at_once_make_one_request(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    first = client.get("uses")
    clock.advance(CACHE_SECONDS)
    api.delay = 0.3
    prompts = _all_at_once(client, ["uses"] * THREADS)
    assert api.count("/api/v1/prompts/uses") == 2
    assert all(prompt is first for prompt in prompts)


def test_threads_asking_for_different_prompts_each_get_their_own(
    api: PromptAPIServer, client: PromptClient
) -> None:
    names = [f"p{i}" for i in range(8)]
    for name in names:
        api.add_version(name, f"{name}: {{item}}")
    api.delay = 0.1
    prompts = _all_at_once(client, names * 2)
    assert [p.name for p in prompts] == names * 2
    assert all(p.template == f"{p.name}: {{item}}" for p in prompts)
    assert api.count() == len(names)
