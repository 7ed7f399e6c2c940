import numpy as np
import pytest

from anisync import Event, InvalidArgumentError, Runtime, asset_path
from anisync.behavior.scheduler import BehaviorScheduler

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
    keys = {"npcs", "memory_bytes_per_npc", "speedup_median", "speedup_p99"} | {
        f"{run}_{unit}_{statistic}" for run in ("scheduled", "every_update")
        for unit in ("ms_per_update", "us_per_npc") for statistic in ("median", "p99")}
    assert set(row) == keys and row["npcs"] == 3
    assert all(isinstance(value, (int, float)) and value > 0 for value in row.values())
    assert row["every_update_us_per_npc_p99"] == pytest.approx(1e3 * row["every_update_ms_per_update_p99"] / 3)
    assert row["speedup_p99"] == pytest.approx(row["every_update_ms_per_update_p99"] / row["scheduled_ms_per_update_p99"])
    table = capsys.readouterr().out
    assert "every-update us/NPC p99" in table and "ratio p99" in table and "wrote bench.json" in table
