"""The sweep: data of an uninstalled workspace goes once the grace period is over, in one
workspace or across an org, and the sweeper of `alignbot serve` runs it as it starts."""

from __future__ import annotations

import redis

from bot.installs.owner import Owner
from bot.installs.retention import Retention, Sweeper
from bot.keys import ACTIVE_TRAININGS_KEY, UNINSTALLED_KEY, Workspace

GRACE = 100.0


def fill(client: redis.Redis, workspace: Workspace) -> None:
    client.hset(workspace.keys.names(), "uses", "prompt")
    client.set(workspace.keys.run("r1"), "{}")


def test_the_sweep_removes_only_what_is_due(redis_client: redis.Redis) -> None:
    gone, kept, org_team = Workspace("T1"), Workspace("T2"), Workspace("T3", "E1")
    for workspace in (gone, kept, org_team):
        fill(redis_client, workspace)
    retention = Retention(redis_client, GRACE)
    retention.mark_uninstalled(Owner(None, "T1"), now=1000.0)
    retention.mark_uninstalled(Owner("E1", None), now=1000.0)

    assert retention.sweep(now=1000.0 + GRACE - 1) == 0
    assert retention.sweep(now=1000.0 + GRACE + 1) == 4

    assert redis_client.keys(f"{gone.namespace}:*") == []
    assert redis_client.keys(f"{org_team.namespace}:*") == []
    assert len(redis_client.keys(f"{kept.namespace}:*")) == 2
    assert redis_client.zcard(UNINSTALLED_KEY) == 0


def test_an_uninstall_cancels_the_workspaces_trainings(redis_client: redis.Redis) -> None:
    pointer = '{"team": "T1", "enterprise": null, "run": "run1"}'
    other = '{"team": "T2", "enterprise": null, "run": "run2"}'
    redis_client.sadd(ACTIVE_TRAININGS_KEY, pointer, other)

    Retention(redis_client, GRACE).mark_uninstalled(Owner(None, "T1"), now=1.0)

    assert redis_client.exists(Workspace("T1").keys.training_cancel("run1"))
    assert not redis_client.exists(Workspace("T2").keys.training_cancel("run2"))


def test_the_sweeper_sweeps_as_it_starts(redis_client: redis.Redis) -> None:
    fill(redis_client, Workspace("T1"))
    retention = Retention(redis_client, GRACE)
    retention.mark_uninstalled(Owner(None, "T1"), now=1.0)

    sweeper = Sweeper(retention, interval=3600, clock=lambda: 1.0 + GRACE + 1).start()
    sweeper.stop()

    assert redis_client.keys(f"{Workspace('T1').namespace}:*") == []
