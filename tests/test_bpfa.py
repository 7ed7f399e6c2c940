"""The behavioral probabilistic finite automaton (anisync.behavior.bpfa) and its command line."""

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from anisync import DefinitionError, Event, InvalidArgumentError, Runtime, shipped_characters
from anisync.behavior.bpfa import BPFA, BPFABehavior, BPFARun
from anisync.behavior.bpfa_commands import ProbeCharacter, memory_per_machine, memory_per_run
from anisync.cli import main
from scipy.stats import chisquare
from transitions import Machine

BPFA_DIR = Path(__file__).resolve().parent.parent / "assets" / "behaviors" / "bpfa"

#: Chi-square tests reject at this p-value. The draws are seeded, so each test is deterministic; the
#: threshold says how surprising the frequencies may be before we call the sampler wrong.
CHI_SQUARE_ALPHA = 1e-3
DRAWS = 20_000


def shipped(name: str) -> BPFA:
    return BPFA.load(BPFA_DIR / f"{name}.yaml")


def drain(bpfa: BPFA, run: BPFARun, probe: ProbeCharacter, dt: float = 10.0) -> None:
    """Advance past the current action and deliver the internal event it raised."""
    bpfa.advance(run, dt, probe)
    if probe.last is not None:
        event, probe.last = probe.last, None
        bpfa.fire(run, event, probe)


# --- loading and structure -----------------------------------------------------------------------------
def test_every_shipped_automaton_loads_and_no_completion_leads_nowhere():
    paths = sorted(BPFA_DIR.glob("*.yaml"))
    assert {path.stem for path in paths} >= {"greet", "flee", "comfort"}
    for path in paths:
        bpfa = BPFA.load(path)
        for name, state in bpfa.states.items():
            if name not in bpfa.finals:
                assert all((name, event) in bpfa.arcs for event in state.completions), (path.name, name)


def test_shipped_automata_load_and_share_one_machine_each():
    greet, flee, comfort = shipped("greet"), shipped("flee"), shipped("comfort")
    assert comfort.states["say_hello"].behavior is greet is shipped("greet")
    assert greet.events == {"done", "landed", "stumbled", "player_left"}
    assert greet.initial == "approach" and greet.finals == {"rest"} and flee.external_events == {"threat", "calm"}
    animations = {"idle", "walk", "wave", "nod", "bow", "jump", "cower", "stomp", "cry", "laugh", "flee", "sit",
                  "hide", "glare"}
    for bpfa in (greet, flee, comfort):
        assert {s.action for s in bpfa.states.values() if s.behavior is None} <= animations
        assert isinstance(bpfa.machine, Machine) and len(bpfa.machine.models) == 1
    probe = ProbeCharacter(seed=1)
    runs = [comfort.start() for _ in range(50)]
    for run in runs:
        drain(comfort, run, probe)
    assert len(comfort.machine.models) == 1 and len(greet.machine.models) == 1


def test_transitions_moves_the_cursor_for_each_fire():
    flee, probe = shipped("flee"), ProbeCharacter(seed=3, emotion={"fear": 0.9})
    run = flee.start()
    assert flee.fire(run, "threat", probe)
    assert flee.machine.get_model_state(flee.machine.models[0]).name == run.state in {"flee", "cower", "glare"}


def test_uncertain_action_raises_its_drawn_outcome():
    greet, probe = shipped("greet"), ProbeCharacter(seed=0)
    run = BPFARun("greet", "hop")
    greet.advance(run, 0.5, probe)
    assert probe.last is None and greet.current_action(run) == "jump"
    greet.advance(run, 0.2, probe)
    assert probe.last in {"landed", "stumbled"} and run.pending == probe.last
    greet.advance(run, 5.0, probe)  # already over: raises nothing more
    outcome, probe.last = probe.last, None
    assert probe.last is None and greet.fire(run, outcome, probe)
    assert run.state == {"landed": "wave", "stumbled": "laugh_it_off"}[outcome]


def test_duration_range_and_holding_states():
    flee, probe = shipped("flee"), ProbeCharacter(seed=4, emotion={"fear": 0.9})
    run = flee.start()
    flee.advance(run, 1000.0, probe)  # watch has no duration: it waits for an event
    assert probe.last is None and run.state == "watch"
    while run.state != "flee":
        run = flee.start()
        flee.fire(run, "threat", probe)
    flee.advance(run, 0.0, probe)
    assert 2.0 <= run.duration <= 4.0 and flee.current_action(run) == "flee"
    assert not flee.fire(run, "threat", probe)  # flee has no threat arc: ignored


def test_stale_internal_events_are_ignored():
    greet, probe = shipped("greet"), ProbeCharacter(seed=2)
    run = greet.start()
    assert not greet.fire(run, "done", probe)  # approach has not finished: nobody raised done
    greet.advance(run, 3.0, probe)
    assert probe.last == "done" and run.pending == "done"
    assert greet.fire(run, "player_left", probe) and run.state == "rest" and not greet.finished(run)
    assert not greet.fire(run, "done", probe)  # the approach's done arrives after it was interrupted


def test_nested_behavior_runs_inside_and_ends_with_done():
    comfort, greet, probe = shipped("comfort"), shipped("greet"), ProbeCharacter(seed=5)
    run = comfort.start()
    assert comfort.state_path(run) == ("say_hello", "approach") and comfort.current_action(run) == "walk"
    assert comfort.fire(run, "player_left", probe)  # greet's own event: the innermost automaton takes it
    assert comfort.state_path(run) == ("say_hello", "rest") and not greet.finished(run.child)
    comfort.advance(run, 0.1, probe)  # greet's final action (idle, no duration) is shown for one update
    assert probe.last is None and comfort.current_action(run) == "idle"
    comfort.advance(run, 0.1, probe)  # and ends at the next: greet is over, so say_hello raises done
    assert greet.finished(run.child) and probe.last == "done" and run.pending == "done" and not comfort.finished(run)
    drain(comfort, run, probe)
    assert comfort.state_path(run) == ("sit_down",) and comfort.current_action(run) == "sit"


def test_outer_event_interrupts_a_nested_behavior():
    comfort, probe = shipped("comfort"), ProbeCharacter(seed=6)
    run = comfort.start()
    drain(comfort, run, probe)  # approach -> wave, bow, nod or hop, inside say_hello
    assert run.state == "say_hello" and run.child.state != "approach"
    assert comfort.fire(run, "friend_left", probe)
    assert comfort.state_path(run) == ("part",) and not comfort.finished(run) and run.child is None
    comfort.advance(run, 1.0, probe)  # the final action (wave, 1 s) ends: the automaton is over
    assert comfort.finished(run) and probe.last is None  # a top-level automaton raises nothing when it ends


def test_a_whole_nested_run_reaches_the_end():
    comfort, probe = shipped("comfort"), ProbeCharacter(seed=7, emotion={"joy": 0.8})
    run, actions = comfort.start(), []
    for _ in range(100):
        actions.append(comfort.current_action(run))
        if comfort.finished(run):
            break
        drain(comfort, run, probe)
    assert comfort.finished(run) and actions[0] == "walk" and actions[-1] == "wave" and "sit" in actions


# --- emotion weighting ---------------------------------------------------------------------------------
def test_emotion_weighting_follows_the_documented_formula():
    flee = shipped("flee")
    fear, anger = 0.8, 0.1
    vector = ProbeCharacter(emotion={"fear": fear, "anger": anger}).emotion.vector
    got = flee.probabilities("watch", "threat", vector)
    total = 0.5 * fear + 0.3 * fear + 0.2 * anger
    assert got == pytest.approx({"flee": 0.5 * fear / total, "cower": 0.3 * fear / total, "glare": 0.2 * anger / total})
    assert math.fsum(got.values()) == pytest.approx(1.0)
    assert flee.probabilities("watch", "threat") == pytest.approx({"flee": 0.5, "cower": 0.3, "glare": 0.2})
    halved = flee.probabilities("watch", "threat", ProbeCharacter(emotion={"fear": 0.4, "anger": 0.05}).emotion.vector)
    assert halved == pytest.approx(got)  # every threat arc is weighted: only the ratio of fear to anger counts
    mixed = flee.probabilities("cower", "done", vector)  # watch unweighted, flee x fear
    assert mixed == pytest.approx({"watch": 0.6 / (0.6 + 0.4 * fear), "flee": 0.4 * fear / (0.6 + 0.4 * fear)})
    assert flee.probabilities("flee", "threat", vector) == {}


# --- statistics ----------------------------------------------------------------------------------------
def test_chi_square_of_one_state_and_event():
    greet = shipped("greet")
    probe = ProbeCharacter(seed=20240, emotion={"joy": 0.7})
    expected = greet.probabilities("approach", "done", probe.emotion.vector)
    targets = list(expected)
    counts = dict.fromkeys(targets, 0)
    for _ in range(DRAWS):
        run = greet.start()
        greet.advance(run, 5.0, probe)
        assert greet.fire(run, "done", probe)
        counts[run.state] += 1
    observed = np.array([counts[t] for t in targets])
    assert chisquare(observed, DRAWS * np.array([expected[t] for t in targets])).pvalue > CHI_SQUARE_ALPHA
    # The same counts fail against the unweighted p: the test can tell the weighting is applied.
    unweighted = greet.probabilities("approach", "done")
    assert chisquare(observed, DRAWS * np.array([unweighted[t] for t in targets])).pvalue < CHI_SQUARE_ALPHA


def test_chi_square_of_an_uncertain_action():
    greet, probe = shipped("greet"), ProbeCharacter(seed=20241)
    outcomes = greet.states["hop"].outcomes
    counts = dict.fromkeys(outcomes, 0)
    for _ in range(DRAWS):
        run = BPFARun("greet", "hop")
        greet.advance(run, 1.0, probe)
        counts[probe.last] += 1
    observed = np.array([counts[o] for o in outcomes])
    assert chisquare(observed, DRAWS * np.array(list(outcomes.values()))).pvalue > CHI_SQUARE_ALPHA
    assert chisquare(observed, DRAWS * np.array([0.88, 0.12])).pvalue < CHI_SQUARE_ALPHA


# --- in the runtime: determinism, snapshot and restore ----------------------------------------------------
THREATS = [(0.5, "threat"), (4.0, "threat"), (9.0, "calm"), (9.5, "threat"), (14.0, "calm")]


def _flee_world(seed: int) -> Runtime:
    flee = shipped("flee")
    runtime = Runtime(seed=seed, behavior_factory=lambda character: BPFABehavior(flee))
    for path in shipped_characters():
        runtime.spawn(path)
    for at, kind in THREATS:
        runtime.emit(Event(kind, receiver="*", sender="world", timestamp=at))
    return runtime


def _activities(runtime: Runtime, seconds: float, rate: int = 30) -> list:
    for _ in range(int(seconds * rate)):
        runtime.update(1 / rate)
    return [(round(r.time, 6), r.character, r.detail) for r in runtime.trace if r.what == "activity"]


def test_same_seed_and_events_replay_the_same_path():
    first, second = _activities(_flee_world(11), 16), _activities(_flee_world(11), 16)
    assert first == second and len(first) >= 10
    assert {detail for _, _, detail in first} >= {"flee", "hide"}
    assert any(_activities(_flee_world(seed), 16) != first for seed in (12, 13, 14))


def test_snapshot_and_restore_continue_the_run_exactly():
    runtime = _flee_world(21)
    _activities(runtime, 5)
    saved = runtime.snapshot()
    assert all(isinstance(c["behavior"]["state"], str) for c in saved["characters"].values())
    later = [record for record in _activities(runtime, 8) if record[0] > saved["time"]]
    states = {c.id: c.behavior.run for c in runtime}
    restored = _flee_world(21)
    restored.restore(copy.deepcopy(saved))
    assert _activities(restored, 8) == later and len(later) >= 5
    assert {c.id: c.behavior.run for c in restored} == states


def test_run_data_round_trip_and_checks():
    comfort, probe = shipped("comfort"), ProbeCharacter(seed=8)
    run = comfort.start()
    comfort.advance(run, 0.3, probe)
    data = run.to_data()
    assert data["child"]["automaton"] == "greet" and data["child"]["duration"] is not None
    copy_of_run = BPFARun.from_data(data)
    assert copy_of_run == run and copy_of_run is not run
    comfort.check_run(copy_of_run)
    for broken, message in [({**data, "state": "dance"}, "not a state"), ({**data, "child": None}, "lacks a nested"),
                            ({**data, "automaton": "flee"}, "run of BPFA 'comfort'")]:
        with pytest.raises(InvalidArgumentError, match=message):
            comfort.check_run(BPFARun.from_data(broken))
    with pytest.raises(InvalidArgumentError, match="run data"):
        BPFARun.from_data({"state": "x"})


def test_bad_calls_are_rejected():
    greet, flee, probe = shipped("greet"), shipped("flee"), ProbeCharacter()
    with pytest.raises(InvalidArgumentError, match="dt"):
        greet.advance(greet.start(), -1.0, probe)
    with pytest.raises(InvalidArgumentError, match="run of BPFA 'greet'"):
        greet.fire(flee.start(), "threat", probe)


# --- rejected definitions --------------------------------------------------------------------------------
BASE = {
    "name": "test",
    "events": ["poke"],
    "initial": "a",
    "finals": ["end"],
    "states": {
        "a": {"action": "idle"},
        "b": {"action": "jump", "duration": 0.5, "outcomes": {"landed": 0.9, "stumbled": 0.1}},
        "c": {"action": "wave", "duration": [1.0, 2.0]},
        "end": {"action": "idle"},
    },
    "arcs": {
        "a": {"poke": {"b": 0.5, "c": 0.5}},
        "b": {"landed": {"end": 1.0}, "stumbled": {"c": 1.0}},
        "c": {"done": {"end": 1.0}, "poke": {"a": {"p": 1.0, "weight": "fear"}}},
    },
}


def _changed(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def test_the_base_definition_loads(write_yaml):
    bpfa = BPFA.load(write_yaml(BASE, "test.yaml"))
    assert bpfa.events == {"poke", "done", "landed", "stumbled"} and len(bpfa.arcs) == 5


@pytest.mark.parametrize("edit, key, expected", [
    # sums per (state, event) and per uncertain action
    (lambda d: d["arcs"]["a"]["poke"].update(c=0.4), "arcs.a.poke", "sum is 1 (within 1e-06)"),
    (lambda d: d["arcs"]["a"]["poke"].update(c=0.5 + 2e-6), "arcs.a.poke", "sum is 1"),
    (lambda d: d["states"]["b"]["outcomes"].update(stumbled=0.2), "states.b.outcomes", "sum is 1"),
    # negative, NaN and zero probabilities
    (lambda d: d["arcs"]["a"]["poke"].update(b=-0.5, c=1.5), "arcs.a.poke.b", "a number in (0, 1]"),
    (lambda d: d["arcs"]["a"]["poke"].update(b=float("nan")), "arcs.a.poke.b", "a number in (0, 1]"),
    (lambda d: d["arcs"]["c"]["poke"]["a"].update(p=float("nan")), "arcs.c.poke.a.p", "a number in (0, 1]"),
    (lambda d: d["arcs"]["a"]["poke"].update(b=0.0, c=1.0), "arcs.a.poke.b", "a number in (0, 1]"),
    (lambda d: d["states"]["b"]["outcomes"].update(landed=-0.9), "states.b.outcomes.landed", "a number in (0, 1]"),
    # arcs to unknown states, from unknown states, on unknown events
    (lambda d: d["arcs"]["a"]["poke"].update(c=0.25, ghost=0.25), "arcs.a.poke.ghost", "a state of test"),
    (lambda d: d["arcs"].update(ghost={"poke": {"a": 1.0}}), "arcs.ghost", "a state of test"),
    (lambda d: d["arcs"]["a"].update(shove={"b": 1.0}), "arcs.a.shove", "an event that state 'a' receives"),
    (lambda d: d["arcs"]["a"].update(done={"b": 1.0}), "arcs.a.done", "none: it never ends by itself"),
    (lambda d: d["arcs"]["c"].update(landed={"a": 1.0}), "arcs.c.landed", "its own completion (done)"),
    (lambda d: d["arcs"]["b"].update(done={"a": 1.0}), "arcs.b.done", "(landed, stumbled)"),
    (lambda d: d["arcs"]["a"].update(poke={}), "arcs.a.poke", "at least one target"),
    # a non-final state whose completion or outcome leads nowhere: the run would wait forever
    (lambda d: d["arcs"]["c"].pop("done"), "arcs.c.done", "an arc on 'done', the completion state 'c' raises"),
    (lambda d: d["arcs"]["b"].pop("stumbled"), "arcs.b.stumbled", "an arc on 'stumbled', the outcome state 'b' raises"),
    (lambda d: (d["states"].update(sub={"behavior": "greet"}), d["arcs"]["a"]["poke"].update(c=0.25, sub=0.25)),
     "arcs.sub.done", "the completion state 'sub' raises when it ends (it is not final"),
    # a trap: not final, never over by itself (no duration) and no arc out, so a run that enters it stays forever
    (lambda d: (d["states"].update(stuck={"action": "cower"}), d["arcs"]["a"]["poke"].update(c=0.25, stuck=0.25)),
     "states.stuck", "a duration (it then raises done), an arc on one of the listed events (poke) or a place under"),
    # unreachable states and arcs out of a final state
    (lambda d: d["states"].update(lonely={"action": "cry"}), "states.lonely", "reachable from the initial state 'a'"),
    (lambda d: d["arcs"].update(end={"poke": {"a": 1.0}}), "arcs.end", "no arcs: 'end' is a final state"),
    # states, actions, names
    (lambda d: d.update(initial="z"), "initial", "one of the states a, b, c, end"),
    (lambda d: d.update(finals=["end", "zz"]), "finals[1]", "one of the states"),
    (lambda d: d.update(events=["poke", "done"]), "events[1]", "an external event"),
    (lambda d: d.update(events=["landed"]), "events[0]", "an external event"),
    (lambda d: d["states"]["b"].pop("duration"), "states.b.duration", "a duration"),
    (lambda d: d["states"]["end"].update(duration=1, outcomes={"x": 1.0}), "states.end.outcomes", "final state"),
    (lambda d: d["states"]["c"].update(duration=[2.0, 1.0]), "states.c.duration", "min <= max"),
    (lambda d: d["states"]["c"].update(duration=[1.0, 2.0, 3.0]), "states.c.duration", "(exactly 2)"),
    (lambda d: d["states"]["c"].update(duration=-1), "states.c.duration", "a number in [0, inf]"),
    (lambda d: d["states"]["c"].update(aim="player"), "states.c.aim", "one of the keys"),
    (lambda d: d["arcs"]["c"]["poke"]["a"].update(weight="glee"), "arcs.c.poke.a.weight", "one of anger"),
    (lambda d: d["states"]["c"].update(behavior="greet"), "states.c.action", "no action keys in a composite"),
    (lambda d: d["states"].update(c={"behavior": "nowhere"}), "states.c.behavior", "a BPFA file"),
    (lambda d: d.update(name="Test Name"), "name", "a string matching"),
])
def test_rejected_definitions_name_the_state_and_event(write_yaml, edit, key, expected):
    path = write_yaml(_changed(edit), "test.yaml")
    with pytest.raises(DefinitionError) as caught:
        BPFA.load(path)
    error = caught.value
    assert (error.source, error.key) == (str(path), key) and expected in error.expected, str(error)
    assert str(path) in str(error) and key in str(error)


# A behavior with no final state: it loops (walk, look, walk...) and never ends.
PATROL = {"name": "patrol", "events": ["poke"], "initial": "walk",
          "states": {"walk": {"duration": 1.0}, "look": {"action": "idle"}},
          "arcs": {"walk": {"done": {"look": 1.0}}, "look": {"poke": {"walk": 1.0}}}}


def test_a_composite_state_that_never_ends_needs_an_arc_out_or_a_place_under_finals(write_yaml):
    write_yaml(PATROL, "patrol.yaml")
    trapped = {"name": "outer", "events": ["poke"], "initial": "rounds", "states": {"rounds": {"behavior": "patrol"}}}
    with pytest.raises(DefinitionError) as caught:
        BPFA.load(write_yaml(trapped, "outer.yaml"))
    expected = caught.value.expected
    assert caught.value.key == "states.rounds" and "an arc on one of the listed events (poke)" in expected
    assert "its behavior 'patrol' has no final state" in expected and "or a place under finals" in expected
    interrupted = {**trapped, "finals": ["home"], "states": {**trapped["states"], "home": {}},
                   "arcs": {"rounds": {"poke": {"home": 1.0}}}}
    assert BPFA.load(write_yaml(interrupted, "outer.yaml")).states["rounds"].behavior.finals == frozenset()
    assert BPFA.load(write_yaml({**trapped, "finals": ["rounds"]}, "outer.yaml")).finals == {"rounds"}


def test_a_holding_state_is_no_trap_when_final_or_left_on_an_event(write_yaml):
    holding = {"name": "hold", "events": ["poke"], "initial": "wait", "states": {"wait": {"action": "idle"}}}
    assert BPFA.load(write_yaml({**holding, "finals": ["wait"]}, "hold.yaml")).finals == {"wait"}
    left = {**holding, "finals": ["gone"], "states": {"wait": {"action": "idle"}, "gone": {}},
            "arcs": {"wait": {"poke": {"gone": 1.0}}}}
    assert BPFA.load(write_yaml(left, "hold.yaml")).arcs[("wait", "poke")][0].target == "gone"


def test_sums_within_the_tolerance_are_accepted(write_yaml):
    data = _changed(lambda d: d["arcs"]["a"]["poke"].update(b=1 / 3, c=2 / 3 - 5e-7))
    assert BPFA.from_dict(data).probabilities("a", "poke")["b"] == pytest.approx(1 / 3, abs=1e-6)


def test_composite_references_by_name_and_path(write_yaml, tmp_path):
    write_yaml(BASE, "test.yaml")
    outer = {"name": "outer", "initial": "inner", "finals": ["after"],
             "states": {"inner": {"behavior": "test"}, "again": {"behavior": "./test.yaml"}, "after": {}},
             "arcs": {"inner": {"done": {"again": 1.0}}, "again": {"done": {"after": 1.0}}}}
    bpfa = BPFA.load(write_yaml(outer, "outer.yaml"))
    assert bpfa.states["inner"].behavior is bpfa.states["again"].behavior is BPFA.load(tmp_path / "test.yaml")
    assert bpfa.state_path(bpfa.start()) == ("inner", "a") and bpfa.current_action(bpfa.start()) == "idle"
    assert bpfa.states["after"].action == "after"


def test_composite_reference_errors(write_yaml):
    write_yaml({**BASE, "name": "other"}, "test.yaml")
    one = {"name": "one", "initial": "x", "states": {"x": {"behavior": "test"}}}
    with pytest.raises(DefinitionError, match=r"states\.x\.behavior: expected a BPFA named 'test'"):
        BPFA.load(write_yaml(one, "one.yaml"))
    write_yaml({"name": "ping", "initial": "x", "states": {"x": {"behavior": "pong"}}}, "ping.yaml")
    pong = write_yaml({"name": "pong", "initial": "y", "states": {"y": {"behavior": "ping.yaml"}}}, "pong.yaml")
    with pytest.raises(DefinitionError, match="does not contain itself.*pong.yaml -> ping.yaml -> pong.yaml"):
        BPFA.load(pong)
    bad_child = write_yaml(_changed(lambda d: d["arcs"]["a"]["poke"].update(c=0.1)), "bad.yaml")
    with pytest.raises(DefinitionError) as caught:
        BPFA.load(write_yaml({"name": "top", "initial": "x", "states": {"x": {"behavior": "bad.yaml"}}}, "top.yaml"))
    assert caught.value.source == str(bad_child) and caught.value.key == "arcs.a.poke"


def test_load_reuses_the_object_until_the_file_changes(write_yaml):
    path = write_yaml(BASE, "test.yaml")
    first = BPFA.load(path)
    assert BPFA.load(str(path)) is first
    write_yaml({**BASE, "description": "changed"}, "test.yaml")
    assert BPFA.load(path) is not first and BPFA.load(path).description == "changed"


# --- command line and memory ---------------------------------------------------------------------------
def test_graph_command_writes_dot_with_event_and_probability_labels(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("shutil.which", lambda name: None)
    out = tmp_path / "graphs" / "comfort.dot"
    assert main(["behavior", "graph", str(BPFA_DIR / "comfort.yaml"), "--out", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    assert dot.startswith('digraph "comfort"') and 'subgraph "cluster_say_hello"' in dot
    assert '"say_hello/hop" -> "say_hello/wave" [label="landed / 1"]' in dot
    assert '"sit_down" -> "share_sadness" [label="done / 0.3 \u00d7 sadness"]' in dot
    assert '"say_hello/rest" [label="rest\\nidle", shape=doublecircle]' in dot
    assert "no PNG" in capsys.readouterr().out and not out.with_suffix(".png").exists()


def test_graph_command_writes_png_when_graphviz_is_installed(tmp_path, monkeypatch):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    monkeypatch.chdir(tmp_path)
    assert main(["behavior", "graph", str(BPFA_DIR / "greet.yaml")]) == 0
    assert (tmp_path / "greet.dot").is_file()
    assert (tmp_path / "greet.png").read_bytes().startswith(b"\x89PNG")


def test_graph_command_reports_bad_files(write_yaml, capsys):
    path = write_yaml(_changed(lambda d: d["arcs"]["a"]["poke"].update(c=0.4)), "test.yaml")
    assert main(["behavior", "graph", str(path)]) == 2
    assert "arcs.a.poke: expected probabilities whose sum is 1" in capsys.readouterr().err


def test_memory_per_character_is_a_few_hundred_bytes():
    comfort = shipped("comfort")
    per_run = memory_per_run(comfort, runs=1000)
    per_machine = memory_per_machine(comfort, count=20)
    assert 0 < per_run < 2048
    assert per_machine > 2048  # so the bound would fail if each character had its own machine
