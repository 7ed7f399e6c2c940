"""Cast atlases (anisync.panda.cast): painted on a Ray cluster that the test starts on loopback, with a
worker killed mid-run; resumed; read back by the atlas face source, in the plugin too."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from anisync import EMOTIONS, InvalidArgumentError, ModelLoadError, Runtime
from anisync.errors import DefinitionError
from anisync.panda.cast import LAYOUT, AtlasFaceSource, cell_of, generate_cast, synthetic_cast, tile
from anisync.panda.faces import FaceSource, speaking_params

# Ray's token authentication, for the cluster this module starts and for its driver (Ray reads both when
# it is imported): a token of the test's own, so that no token file is needed or written.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
ray = pytest.importorskip("ray")
Image = pytest.importorskip("PIL.Image")

CAST = 8


def _emotions(**values) -> np.ndarray:
    vector = np.zeros(len(EMOTIONS), np.float32)
    for name, value in values.items():
        vector[EMOTIONS.index(name)] = value
    return vector


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster on 127.0.0.1 with two CPUs, as ``ray start`` makes it; its address. Ray's token
    authentication is on for the cluster and for this process, the driver."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([command, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
                    "--include-dashboard=false", "--disable-usage-stats"], check=True, capture_output=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([command, "stop", "--force"], capture_output=True)


@pytest.fixture(scope="module")
def painted(cluster, tmp_path_factory):
    """A cast of CAST painted on the cluster by two workers, one of them killed when the first atlas arrives."""
    root = tmp_path_factory.mktemp("cast")
    files = synthetic_cast(root / "characters", CAST)
    arrivals, killed = [], []

    def kill_a_worker(character_id, entry, painter):
        arrivals.append(character_id)
        if not killed:
            os.kill(painter, signal.SIGKILL)
            killed.append(painter)

    report = generate_cast(files, root / "atlases", ray_address=cluster, workers=2, on_painted=kill_a_worker)
    return files, root / "atlases", report, arrivals, killed


def test_a_killed_worker_loses_nothing_and_nothing_is_written_twice(painted):
    files, folder, report, arrivals, killed = painted
    assert sorted(arrivals) == sorted(f"cast-{n:04d}" for n in range(CAST))  # each once
    assert report["painted"] == CAST and report["skipped"] == 0
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)  # the worker really died
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["characters"]) == sorted(arrivals)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{name}.png" for name in arrivals] + ["manifest.json"])


def test_a_second_run_resumes_and_repaints_only_what_changed(painted, cluster):
    files, folder, _, _, _ = painted
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.png")}
    assert generate_cast(files, folder, ray_address=cluster)["skipped"] == CAST  # all done: Ray is not even asked
    changed = files[3]
    changed.write_text(changed.read_text().replace("seed: 3", "seed: 1003"))
    (folder / "cast-0005.png").write_bytes(b"not the atlas")
    report = generate_cast(files, folder, ray_address=cluster, workers=1)
    assert (report["painted"], report["skipped"]) == (2, CAST - 2)
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.png")}
    assert {name for name in before if before[name] != after[name]} == {"cast-0003.png", "cast-0005.png"}


def test_the_atlas_source_shows_the_nearest_cell(painted):
    files, folder, _, _, _ = painted
    source = AtlasFaceSource(folder)
    assert isinstance(source, FaceSource) and source.size == 128
    names = [cell.name for cell in LAYOUT]
    assert names[source.cell_index(_emotions(neutral=0.9, joy=0.1))] == "neutral"
    assert names[source.cell_index(_emotions(joy=0.12))] == "neutral"  # too faint to draw
    assert names[source.cell_index(_emotions(joy=0.75, sadness=0.25))] == "joy 0.67"
    assert names[source.cell_index(_emotions(anger=1.0))] == "anger 1.00"
    assert names[source.cell_index(speaking_params(_emotions(joy=0.5), "aa"))] == "viseme aa"
    assert names[source.cell_index(speaking_params(_emotions(neutral=1.0), "PP"))] in ("viseme PP", "viseme sil")
    atlas = np.asarray(Image.open(folder / "cast-0001.png").convert("RGBA"))
    anger = source.render("cast-0001", {}, _emotions(anger=1.0))
    assert np.array_equal(anger, cell_of(atlas, names.index("anger 1.00"), 128))
    assert not np.array_equal(anger, source.render("cast-0001", {}, _emotions(neutral=1.0)))
    palette = source.palette("cast-0001", {})
    assert len(palette.skin) == 3 and palette.skin != (0, 0, 0)


def test_the_atlas_source_refuses_what_it_cannot_show(painted, tmp_path):
    _, folder, _, _, _ = painted
    source = AtlasFaceSource(folder)
    with pytest.raises(InvalidArgumentError, match="character_id: 'nobody' has no atlas in .* cast-0000"):
        source.render("nobody", {}, _emotions(joy=1.0))
    with pytest.raises(InvalidArgumentError, match="expression: expected 7 emotions or 13"):
        source.render("cast-0000", {}, np.zeros(5))
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "cast-0002.png").write_bytes((copy / "cast-0001.png").read_bytes())
    with pytest.raises(ModelLoadError, match="cast-0002.png: missing, or not the atlas"):
        AtlasFaceSource(copy).render("cast-0002", {}, _emotions(joy=1.0))
    with pytest.raises(ModelLoadError, match="no readable cast manifest"):
        AtlasFaceSource(tmp_path)


def test_the_plugin_draws_faces_from_atlases(painted, panda_base):
    from anisync.panda import AnisyncPlugin

    files, folder, _, _, _ = painted
    runtime = Runtime(seed=3)
    plugin = AnisyncPlugin(panda_base, runtime, face_source=AtlasFaceSource(folder), worker="thread",
                           update_runtime=False)  # the expression stays as set
    try:
        villager = runtime.spawn(files[1])
        view = plugin.attach(villager)
        villager.expression = _emotions(anger=0.95, neutral=0.05)
        for _ in range(60):
            panda_base.taskMgr.step()
            if view.face_emotion == "anger":
                break
        assert view.face_emotion == "anger" and plugin.uploads >= 1
    finally:
        plugin.destroy()


def test_tiles_come_back_cell_by_cell():
    faces = np.random.default_rng(0).integers(0, 256, (len(LAYOUT), 16, 16, 4), dtype=np.uint8)
    atlas = tile(faces)
    assert atlas.shape == (16 * -(-len(LAYOUT) // 6), 16 * 6, 4)
    assert all(np.array_equal(cell_of(atlas, k, 16), face) for k, face in enumerate(faces))
    assert not atlas[-16:, -16:].any()  # the cells after the last are empty


def test_a_cast_with_one_id_twice_is_refused(tmp_path):
    first, second = synthetic_cast(tmp_path, 2)
    second.write_text(second.read_text().replace("cast-0001", "cast-0000"))
    with pytest.raises(DefinitionError, match="cast-0001.yaml: id: expected an id no other .*cast-0000.yaml has it too, got 'cast-0000'"):
        generate_cast([first, second], tmp_path / "out")
    with pytest.raises(InvalidArgumentError, match="workers: expected a positive integer"):
        generate_cast([first], tmp_path / "out", workers=0)
