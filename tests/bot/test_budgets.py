"""Model-call budgets: per person and per workspace, shared by every process through Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bot.budgets import BudgetLimits, Budgets, OverBudgetError, TooCostlyError
from bot.keys import Workspace

TEAM = Workspace("T0BUDGET")
OTHER_TEAM = Workspace("T0OTHER")


def test_a_person_is_refused_past_their_budget_and_told_when_to_come_back(
    redis_client: redis.Redis,
) -> None:
    budgets = Budgets(redis_client, BudgetLimits(per_user=5, per_workspace=100))
    budgets.spend(TEAM, "U0ANA", 3)
    budgets.spend(TEAM, "U0ANA", 2)
    with pytest.raises(OverBudgetError) as refused:
        budgets.spend(TEAM, "U0ANA", 1)
    assert refused.value.whose == "user"
    assert "You have used the model-call budget (5 per 1 hour)" in refused.value.explain()
    assert "Try again in 1 hour" in refused.value.explain()
    # Someone else in the workspace, and the same person elsewhere, are not affected.
    budgets.spend(TEAM, "U0BEN", 5)
    budgets.spend(OTHER_TEAM, "U0ANA", 5)


def test_the_workspace_budget_binds_everyone_in_it(redis_client: redis.Redis) -> None:
    budgets = Budgets(redis_client, BudgetLimits(per_user=10, per_workspace=12))
    budgets.spend(TEAM, "U0ANA", 10)
    with pytest.raises(OverBudgetError) as refused:
        budgets.spend(TEAM, "U0BEN", 3)
    assert refused.value.whose == "workspace"
    budgets.spend(TEAM, "U0BEN", 2)


def test_a_refused_spend_takes_nothing(redis_client: redis.Redis) -> None:
    budgets = Budgets(redis_client, BudgetLimits(per_user=5, per_workspace=5))
    budgets.spend(TEAM, "U0ANA", 4)
    with pytest.raises(OverBudgetError):
        budgets.spend(TEAM, "U0ANA", 2)
    budgets.spend(TEAM, "U0ANA", 1)  # the refused 2 were not counted


def test_one_action_bigger_than_a_whole_budget_says_so() -> None:
    budgets = Budgets(redis.Redis(), BudgetLimits(per_user=4, per_workspace=100))
    with pytest.raises(TooCostlyError, match="would take 8 model calls, more than the 4"):
        budgets.spend(TEAM, "U0ANA", 8)


def test_many_processes_at_once_never_spend_past_the_budget(redis_url: str) -> None:
    limits = BudgetLimits(per_user=50, per_workspace=1000)

    def try_once(_: int) -> bool:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        try:
            Budgets(client, limits).spend(TEAM, "U0ANA", 1)
            return True
        except OverBudgetError:
            return False
        finally:
            client.close()

    redis.Redis.from_url(redis_url).flushall()
    with ThreadPoolExecutor(max_workers=16) as pool:
        granted = sum(pool.map(try_once, range(120)))
    assert granted == 50
