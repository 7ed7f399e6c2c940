import json

import numpy as np
import pytest

from anisync import EMOTIONS, Event, InvalidArgumentError, Runtime, SnapshotError, asset_path
from anisync.behavior.scheduler import BehaviorScheduler, SchedulerStats

from helpers import scripted_world


def _world(scheduler: BehaviorScheduler, seconds: int = 20, characters: int = 9):
    return scripted_world(seed=4, seconds=seconds, characters=characters, events_per_second=4, scheduler=scheduler)


def test_ticking_on_change_gives_the_same_run_as_ticking_every_update():
    scheduled = _world(BehaviorScheduler())
    every = _world(BehaviorScheduler(tick_every_update=True))
    assert list(scheduled.trace) == list(every.trace)
    assert sum(r.what == "activity" for r in scheduled.trace) > 20
    for a, b in zip(scheduled, every):
        np.testing.assert_array_equal(a.emotion.vector, b.emotion.vector)
    assert scheduled.scheduler.stats.ticks < every.scheduler.stats.ticks / 3
    assert every.scheduler.stats.advances == 0


def test_an_event_is_reacted_to_in_the_update_it_is_delivered():
    runtime = Runtime(seed=1)
    yuki = runtime.spawn(asset_path("characters", "yuki.yaml"))
    for _ in range(10):
        runtime.update(1 / 60)
    ticks = runtime.scheduler.stats.ticks
    runtime.emit(Event("thunder", receiver="yuki"))
    runtime.update(1 / 60)
    assert runtime.scheduler.stats.ticks == ticks + 1
    assert yuki.activity in {"cower", "hide", "flee"}


def test_rate_limited_checks_spread_across_updates_and_lod_lowers_them():
    limited = _world(BehaviorScheduler(check_rate=5.0), seconds=4, characters=30)
    # 5 checks a second each, plus one in every update that delivers an event: far from 30 a second.
    assert 30 * 5 * 4 * 0.8 < limited.scheduler.stats.checks < 30 * 30 * 4 / 2
    scheduler = BehaviorScheduler()
    runtime = Runtime(seed=2, scheduler=scheduler)
    bram = runtime.spawn(asset_path("characters", "bram.yaml"))
    runtime.update(0.01)
    scheduler.set_rate("bram", 1.0)  # far from the camera: one check a second
    runtime.update(0.01)
    bram.emotion.apply_impulse({"anger": 0.95, "neutral": -0.9})  # game code, no event: only a check sees it
    seen_at = None
    for step in range(150):
        runtime.update(0.01)
        if bram.activity == "glare" and seen_at is None:
            seen_at = step
    assert seen_at is not None and seen_at <= 101


@pytest.mark.parametrize("rate", [0, -1.0, float("nan"), float("inf")])
def test_bad_rates(rate):
    with pytest.raises(InvalidArgumentError, match="rate"):
        BehaviorScheduler(check_rate=rate)
    with pytest.raises(InvalidArgumentError, match="rate"):
        BehaviorScheduler().set_rate("x", rate)


def test_bench_behavior_command_writes_median_and_p99_of_both_runs(tmp_path, monkeypatch, capsys):
    import json

    from anisync.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["bench", "behavior", "--npcs", "3", "--seconds", "0.2", "--json", "bench.json"]) == 0
    report = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert report["command"] == "anisync bench behavior" and report["seconds_measured"] == 0.2
    (row,) = report["results"]
    keys = {"npcs", "memory_bytes_per_npc", "speedup_median", "speedup_p99", "budget_p99_ratio", "longest_wait_updates",
            "deferred_ticks_per_update"} | {
        f"{run}_{unit}_{statistic}" for run in ("scheduled", "no_budget", "every_update")
        for unit in ("ms_per_update", "us_per_npc") for statistic in ("median", "p99")}
    assert set(row) == keys and row["npcs"] == 3 and report["tick_budget"] == 24
    waits = ("longest_wait_updates", "deferred_ticks_per_update")
    assert all(isinstance(value, (int, float)) and value > 0 for key, value in row.items() if key not in waits)
    assert row["longest_wait_updates"] == row["deferred_ticks_per_update"] == 0  # 3 trees never fill the budget
    assert row["every_update_us_per_npc_p99"] == pytest.approx(1e3 * row["every_update_ms_per_update_p99"] / 3)
    assert row["speedup_p99"] == pytest.approx(row["every_update_ms_per_update_p99"] / row["scheduled_ms_per_update_p99"])
    table = capsys.readouterr().out
    assert "no budget ms p99" in table and "longest wait (updates)" in table and "wrote bench.json" in table


def _crowd(budget, characters: int = 60):
    from anisync.headless import spawn_samples

    runtime = Runtime(seed=7, scheduler=BehaviorScheduler(tick_budget=budget), trace_limit=100_000)
    spawn_samples(runtime, characters)
    for _ in range(30):
        runtime.update(1 / 30)
    return runtime


def _fear(runtime) -> dict[str, float]:
    return {c.id: float(c.emotion.vector[EMOTIONS.index("fear")]) for c in runtime}


def test_a_broadcast_ticks_at_most_the_budget_per_update_oldest_first_and_emotions_move_at_once():
    runtime = _crowd(budget=8)
    scheduler = runtime.scheduler
    calm = _fear(runtime)
    scheduler.stats = SchedulerStats()
    runtime.emit(Event("thunder", receiver="*", sender="sky"))
    ticks = []
    for step in range(12):
        before = scheduler.stats.ticks
        runtime.update(1 / 30)
        ticks.append(scheduler.stats.ticks - before)
        if step == 0:  # the update that delivers it: every face is frightened already
            assert all(_fear(runtime)[c] > calm[c] + 0.05 for c in calm)
    assert max(ticks) == 8 and ticks[:4] == [8] * 4  # most of the 60 trees want a tick: 8 an update, no more
    assert scheduler.stats.deferred > 0 and 1 <= scheduler.stats.longest_wait < 60 / 8  # bounded by the queue
    assert sum(1 for c in runtime if c.activity in {"cower", "hide", "flee"}) > 30  # every tree had its turn


def test_a_budget_that_never_binds_changes_nothing():
    capped, free = _world(BehaviorScheduler(tick_budget=64)), _world(BehaviorScheduler(tick_budget=None))
    assert list(capped.trace) == list(free.trace) and capped.scheduler.stats.deferred == 0


def test_a_restore_while_trees_wait_for_their_tick_continues_exactly():
    runtime = _crowd(budget=8)
    runtime.emit(Event("thunder", receiver="*", sender="sky"))
    for _ in range(3):
        runtime.update(1 / 30)
    saved = json.loads(json.dumps(runtime.snapshot()))
    assert len(saved["scheduler"]["waiting"]) > 30  # half the crowd still waits for its tick
    other = _crowd(budget=8)
    other.restore(saved)
    assert other.snapshot()["scheduler"] == saved["scheduler"]  # saved again before an update: nothing lost
    for world in (runtime, other):
        world.trace.clear()
        for _ in range(20):
            world.update(1 / 30)
    assert list(other.trace) == list(runtime.trace) and len(runtime.trace) > 50


def test_a_scheduler_snapshot_that_does_not_fit_is_refused():
    runtime = _crowd(budget=8, characters=3)
    saved = runtime.snapshot()
    for change, path in [(lambda s: s["held"].update(zed=[]), r"scheduler\.held\.zed"),
                         (lambda s: s["held"][next(iter(s["held"]))].append("joy > 2"), r"scheduler\.held\.\w+\[\d+\]"),
                         (lambda s: s["waiting"].append({"id": "nobody", "waited": 1}), r"scheduler\.waiting\[\d+\]\.id")]:
        bad = json.loads(json.dumps(saved))
        change(bad["scheduler"])
        with pytest.raises(SnapshotError, match=path):
            runtime.restore(bad)


def test_a_queue_too_long_for_the_budget_still_ticks_every_tree_within_max_wait():
    runtime = Runtime(seed=7, scheduler=BehaviorScheduler(tick_budget=2, max_wait=3))
    from anisync.headless import spawn_samples

    spawn_samples(runtime, 60)
    ticks = []
    for _ in range(8):  # every tree wants its first tick: 60 in a queue that 2 an update would drain in 30
        before = runtime.scheduler.stats.ticks
        runtime.update(1 / 30)
        ticks.append(runtime.scheduler.stats.ticks - before)
    assert ticks[0] == 15 and sum(ticks[:4]) >= 60  # ceil(60 / 4): the last is ticked on its 4th update
    assert runtime.scheduler.stats.longest_wait == 3


@pytest.mark.parametrize("budget", [0, -3, 2.5, True, "8"])
def test_bad_tick_budgets_and_waits(budget):
    with pytest.raises(InvalidArgumentError, match="tick_budget"):
        BehaviorScheduler(tick_budget=budget)
    if budget != 0:
        with pytest.raises(InvalidArgumentError, match="max_wait"):
            BehaviorScheduler(max_wait=budget)
