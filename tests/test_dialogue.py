"""The dialogue emotion classifier (anisync.dialogue): the shipped model's readings, its bad-input errors and
thread safety, the head's exported graph against the training graph, and what words said and heard do
to characters in the runtime."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from anisync import EMOTIONS, DefinitionError, EventError, InvalidArgumentError, ModelInputError, Runtime, asset_path
from anisync.character import CharacterDefinition
from anisync.dialogue import MAX_CHARACTERS, DialogueAppraisal, EmotionClassifier, shipped_classifier
from anisync.dialogue.appraisal import EVEN

TAUNT = "You're a useless coward. Get out of my sight!"


@pytest.fixture(scope="module")
def classifier():
    return shipped_classifier()


def test_probabilities_of_clear_lines(classifier):
    for text, expected in (("I'm so happy for you, this is wonderful!", "joy"),
                           ("I hate you! Get out of here!", "anger"),
                           ("What?! You're getting married?!", "surprise"),
                           ("Okay, I'll see you at six.", "neutral")):
        probabilities = classifier.classify(text)
        assert probabilities.shape == (len(EMOTIONS),) and probabilities.dtype == np.float32
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert EMOTIONS[int(np.argmax(probabilities))] == expected, (text, dict(zip(EMOTIONS, probabilities)))


def test_context_changes_the_reading_and_speakers_are_free(classifier):
    alone = classifier.classify("Really?")
    after_news = classifier.classify("Really?", [("ross", "I got the job at the museum!")], speaker="rachel")
    assert not np.allclose(alone, after_news)
    # Plain strings and unknown speakers are context too; more lines than the head reads are cut to the last ones.
    many = [f"line {i}" for i in range(3 * classifier.context_slots)]
    assert np.allclose(classifier.classify("Really?", many), classifier.classify("Really?", many[-classifier.context_slots:]))


@pytest.mark.parametrize("text, problem", [("", "empty"), ("   ", "empty"), (b"\xff\xfe bad", "UTF-8"),
                                           (42, "expected text"), (None, "expected text"),
                                           ("a" * (MAX_CHARACTERS + 1), "over the limit")])
def test_bad_text_is_refused_clearly(classifier, text, problem):
    with pytest.raises(ModelInputError, match=problem):
        classifier.classify(text)


def test_bad_context_is_refused_naming_the_line(classifier):
    with pytest.raises(ModelInputError, match=r"context\[1\]"):
        classifier.classify("Hi.", ["Hello.", ("joey", "")])
    with pytest.raises(ModelInputError, match="context: expected a sequence"):
        classifier.classify("Hi.", "Hello.")


def test_many_lines_at_once_read_as_one_by_one(classifier):
    dialogue = [("mira", "Hello there!"), ("bram", "What do you want?"), ("mira", "I just wanted to say hi."),
                ("bram", "Get lost, I'm busy."), ("mira", "Why are you so angry?"), ("yuki", "Please, stop it.")]
    requests = [(text, dialogue[:turn], speaker) for turn, (speaker, text) in enumerate(dialogue)]
    classifier._vectors.clear()
    together = classifier.classify_many(requests)
    assert together.shape == (len(dialogue), len(EMOTIONS))
    one_by_one = np.stack([classifier.classify(*request) for request in requests])
    assert np.allclose(together, one_by_one, atol=1e-4)
    with pytest.raises(ModelInputError, match=r"requests\[1\]\.text"):
        classifier.classify_many([("Fine.", (), None), ("", (), None)])


def test_lines_encoded_on_several_cores_read_exactly_as_on_one(classifier, monkeypatch):
    lines = ["Hello there!", "What do you want?", "Get lost, I'm busy.", "Please, stop it.", "I brought tea."]
    requests = [(text, lines[:turn], None) for turn, text in enumerate(lines)]
    readings = []
    for workers in (1, 3):
        monkeypatch.setattr(classifier, "workers", workers)
        classifier._vectors.clear()
        readings.append(classifier.classify_many(requests))
    assert np.array_equal(readings[0], readings[1])
    for bad in (0, 1.5, True):
        with pytest.raises(InvalidArgumentError, match="workers: expected"):
            EmotionClassifier(workers=bad)


def test_one_line_is_read_on_the_calling_thread_alone(classifier, monkeypatch):
    """classify() is what a game calls as lines are said: it starts no threads, whatever ``workers`` says."""
    from anisync.dialogue import classifier as module

    def no_pool(*arguments, **options):
        raise AssertionError("classify started a thread pool")

    monkeypatch.setattr(module, "ThreadPoolExecutor", no_pool)
    monkeypatch.setattr(classifier, "workers", 4)
    classifier._vectors.clear()  # several context lines to encode, as in a game after the cache dropped them
    assert classifier.classify("Why?", ["One.", "Two lines.", "Three, now."]).shape == (len(EMOTIONS),)
    with pytest.raises(AssertionError, match="thread pool"):
        classifier.classify_many([("Why?", ["Four.", "Five lines."], None)])


def test_utf8_bytes_read_as_text(classifier):
    assert np.allclose(classifier.classify("Café time!".encode()), classifier.classify("Café time!"))


def test_classifier_is_thread_safe(classifier):
    lines = [f"{word}, that is what I think." for word in ("Great", "Terrible", "Wow", "Fine", "Gross", "Help")]
    expected = [classifier.classify(line, lines[:i]) for i, line in enumerate(lines)]
    results, errors = {}, []

    def work(worker: int):
        try:
            for _ in range(5):
                for i, line in enumerate(lines):
                    results[(worker, i)] = classifier.classify(line, lines[:i])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(np.allclose(results[(w, i)], expected[i], atol=1e-6) for w in range(4) for i in range(len(lines)))


def test_exported_graph_matches_the_training_graph(tmp_path):
    torch = pytest.importorskip("torch")
    from anisync.dialogue.classifier import EmotionClassifier
    from anisync.dialogue.model import DialogueHead, HeadConfig
    from anisync.dialogue.train import export_head

    torch.manual_seed(0)
    head = DialogueHead(HeadConfig(context=3, hidden=32)).eval()
    tokens, mask = torch.randn(1, 4, 6, 384), torch.ones(1, 4, 6)
    mask[0, 1, 4:] = 0
    speakers = torch.tensor([[0, 1, 0, 1]])
    with torch.no_grad():
        whole = torch.softmax(head.dialogues(tokens, mask, speakers), -1)[0]
    path = export_head(head, tmp_path / "head.onnx", {})
    exported = EmotionClassifier(path)
    assert exported.context_slots == 3 and exported.width == 32
    # The four turns' vectors in one batch: the graph takes any number of lines.
    _, vectors = exported._run(tokens[0].numpy(), mask[0].numpy(), [([], None)] * 4, {})
    for turn in range(4):
        n = int(mask[0, turn].sum())
        context = np.zeros((1, 3, 32), np.float32)
        same = np.zeros((1, 3), np.float32)
        filled = np.zeros((1, 3), np.float32)
        for slot, earlier in zip(range(3 - min(turn, 3), 3), range(max(0, turn - 3), turn)):
            context[0, slot], filled[0, slot] = vectors[earlier], 1
            same[0, slot] = speakers[0, earlier] == speakers[0, turn]
        logits, _ = exported.session.run(None, {"tokens": tokens[0, turn:turn + 1, :n].numpy(),
                                                "mask": mask[0, turn:turn + 1, :n].numpy(), "context": context,
                                                "same_speaker": same, "context_mask": filled})
        assert np.allclose(np.exp(logits[0]) / np.exp(logits[0]).sum(), whole[turn].numpy(), atol=1e-4)


def test_the_exported_ensemble_reads_many_lines_at_once_as_the_ensemble(tmp_path):
    torch = pytest.importorskip("torch")
    from anisync.dialogue.classifier import EmotionClassifier
    from anisync.dialogue.model import DialogueHead, HeadConfig, HeadEnsemble
    from anisync.dialogue.train import export_head

    torch.manual_seed(1)
    heads = [DialogueHead(HeadConfig(context=4, hidden=16)).eval() for _ in range(3)]
    for head in heads:  # trained-looking weights: untrained ones leave the empty slots and biases at zero
        for parameter in head.parameters():
            parameter.data.normal_(0, 0.3)
    ensemble = HeadEnsemble(heads).eval()
    tokens, mask = torch.randn(5, 7, 384), torch.ones(5, 7)
    mask[1, 4:], mask[3, 2:] = 0, 0
    context, same, filled = torch.randn(5, 4, 48), (torch.rand(5, 4) > 0.5).float(), (torch.rand(5, 4) > 0.3).float()
    with torch.no_grad():
        logits, vectors = ensemble(tokens, mask, context, same, filled)
    exported = EmotionClassifier(export_head(ensemble, tmp_path / "ensemble.onnx", {}))
    got = exported.session.run(None, {"tokens": tokens.numpy(), "mask": mask.numpy(), "context": context.numpy(),
                                      "same_speaker": same.numpy(), "context_mask": filled.numpy()})
    assert np.allclose(got[0], logits.numpy(), atol=1e-4) and np.allclose(got[1], vectors.numpy(), atol=1e-4)


# --- what words do in the runtime -------------------------------------------------------------------------

def _villagers(**kwargs) -> Runtime:
    runtime = Runtime(seed=3, **kwargs)
    for name in ("bram", "mira", "yuki"):
        runtime.spawn(asset_path("characters", f"{name}.yaml"))
    runtime.update(0.1)
    return runtime


def _change(runtime: Runtime, act) -> dict[str, np.ndarray]:
    before = {c.id: c.emotion.vector.copy() for c in runtime}
    act(runtime)
    runtime.update(0.05)
    return {c.id: c.emotion.vector - before[c.id] for c in runtime}


def test_a_spoken_taunt_angers_or_frightens_its_listener_by_personality():
    anger, fear = EMOTIONS.index("anger"), EMOTIONS.index("fear")
    for name, rises in (("bram", anger), ("yuki", fear)):
        change = _change(_villagers(), lambda r: r.hear(TAUNT, to=name, heard_by=name))
        assert change[name][rises] > 0.1, (name, dict(zip(EMOTIONS, change[name])))
        assert int(np.argmax(change[name])) == rises
    # The same words without the classifier change nothing: it is the words that do it.
    silent = _change(_villagers(dialogue=None), lambda r: r.hear(TAUNT, to="bram", heard_by="bram"))
    assert not np.any(silent["bram"])


def test_a_friends_sadness_saddens_more_than_a_strangers():
    sadness = EMOTIONS.index("sadness")
    line = "My grandmother died last night. I miss her so much."
    heard = _change(_villagers(), lambda r: r.say("yuki", line))
    assert heard["yuki"][sadness] > 0  # the speaker's own words
    assert heard["mira"][sadness] > heard["bram"][sadness] > 0  # mira counts yuki a friend; bram does not


def test_say_queues_words_with_the_classifiers_probabilities_and_remembers_the_line():
    runtime = _villagers()
    runtime.say("mira", "Good morning!", to="bram", heard_by="group:guards")
    said = {who: [e for e in queue if e["content"] == "say"] for who, queue in runtime.bus.snapshot().items()}
    [words] = said["bram"]
    assert words["sender"] == "mira" and words["payload"]["to"] == "bram"
    assert len(words["payload"]["emotions"]) == len(EMOTIONS) and not said["yuki"]
    assert [e["payload"] for e in said["mira"]] == [words["payload"]]  # the speaker's own words reach it too
    assert list(runtime.dialogue_lines) == [("mira", "Good morning!")]


def test_bad_words_change_nothing():
    runtime = _villagers()
    before = runtime.snapshot()
    for call, error, name in ((lambda: runtime.say("mira", "Hi", to="nobody"), InvalidArgumentError, "to"),
                              (lambda: runtime.hear("Hi", heard_by="nobody"), EventError, "nobody"),
                              (lambda: runtime.say("mira", "   "), ModelInputError, "empty"),
                              (lambda: runtime.hear(b"\xff"), ModelInputError, "UTF-8")):
        with pytest.raises(error, match=name):
            call()
        assert runtime.snapshot() == before


def test_words_replay_and_restore_exactly():
    def run() -> tuple[list, dict]:
        runtime = _villagers()
        runtime.hear("Hello everyone, lovely day!")
        runtime.update(0.5)
        runtime.say("bram", "Quiet! I am on duty.", to="mira")
        runtime.update(0.5)
        return list(runtime.trace), runtime.snapshot()

    (trace, snapshot), (again, snapshot_again) = run(), run()
    assert trace == again and snapshot == snapshot_again
    runtime = _villagers()
    runtime.restore(snapshot)
    assert list(runtime.dialogue_lines) == [("player", "Hello everyone, lovely day!"), ("bram", "Quiet! I am on duty.")]


def test_runtime_refuses_a_dialogue_that_is_not_a_classifier():
    with pytest.raises(InvalidArgumentError, match="dialogue"):
        Runtime(dialogue="tiny")


def test_dialogue_section_tunes_and_is_checked(write_yaml):
    base = {"id": "ann", "appraisal": {}}
    bold = CharacterDefinition.load(write_yaml({**base, "dialogue": {"addressed": {"anger": {"anger": 0.8}},
                                                                      "friends": ["player"], "empathy": 0.0}}))
    anger = np.eye(len(EMOTIONS))[EMOTIONS.index("anger")]
    assert bold.dialogue.hearing(anger, "player", aimed_at_me=True)[EMOTIONS.index("anger")] > 0.8
    assert not np.any(bold.dialogue.hearing(anger, "stranger", aimed_at_me=False))
    assert CharacterDefinition.from_dict(base).dialogue == DialogueAppraisal()
    for section, key in (({"empathy": 2}, "dialogue.empathy"), ({"addressed": {"rage": {}}}, "dialogue.addressed"),
                         ({"addressed": {"anger": {"fear": 3}}}, "dialogue.addressed.anger.fear"), ({"mood": 1}, "dialogue")):
        with pytest.raises(DefinitionError, match=key.replace(".", r"\.")):
            CharacterDefinition.load(write_yaml({**base, "dialogue": section}))


def test_even_words_move_nobody():
    even = np.full(len(EMOTIONS), EVEN)
    assert not np.any(DialogueAppraisal().speaking(even))
    assert not np.any(DialogueAppraisal().hearing(even, "x", aimed_at_me=False))


def test_cli_prints_the_seven_probabilities(capsys, tmp_path):
    from anisync.cli import main

    assert main(["dialogue", "I can't believe it!", "--context", "We won the lottery.", "--json",
                 str(tmp_path / "p.json")]) == 0
    printed = capsys.readouterr().out.split("\n")
    assert sorted(line.split()[0] for line in printed if line) == sorted(EMOTIONS)
    assert "probabilities" in (tmp_path / "p.json").read_text()
