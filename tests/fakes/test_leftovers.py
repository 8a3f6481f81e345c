"""The suite's own check for processes that outlive it."""

from __future__ import annotations

import subprocess
import sys

from tests.fakes.leftovers import end_leftovers, leftover_processes, marker_environment


def test_a_process_of_this_run_is_found_and_ended_after_its_parent_is_gone() -> None:
    # A grandchild whose parent exits at once: the orphan a crashed bot leaves behind.
    script = (
        "import subprocess, sys; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])"
    )
    env = {**marker_environment(), "PATH": ""}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=30)
    run_id = marker_environment()["ALIGNBOT_TEST_RUN"]
    orphans = leftover_processes(run_id)
    assert [p for p in orphans if "time.sleep(60)" in " ".join(p.cmdline())]
    ended = end_leftovers(run_id)
    assert any("time.sleep(60)" in line for line in ended)
    assert not [p for p in leftover_processes(run_id) if p.is_running() and p.status() != "zombie"]


def test_another_runs_processes_are_left_alone() -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={"ALIGNBOT_TEST_RUN": "another-run", "PATH": ""},
    )
    try:
        assert other.pid not in {
            p.pid for p in leftover_processes(marker_environment()["ALIGNBOT_TEST_RUN"])
        }
    finally:
        other.kill()
        other.wait(10)
