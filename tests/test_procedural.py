"""Procedural faces: determinism, ranges, the expression mask, landmarks, blending and parameter errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anisync.emotion import EMOTIONS
from anisync.errors import DefinitionError
from anisync.procedural.expression import (EMOTION_TABLE, EXPRESSION_PARAMS, MOUTH_SHAPES, PARAM_SPECS, REST, VRM_PRESETS,
                                       ExpressionParams)
from anisync.procedural.identity import (ACCESSORIES, HAIR_STYLES, STYLE_PALETTES, STYLES, FaceIdentity, hex_to_rgb,
                                     off_palette_color, sample_identity)
from anisync.procedural.paint import Painter
from anisync.procedural.render import LANDMARK_NAMES, FaceRender, render_face


def identity(seed: int, style: str | None = None) -> FaceIdentity:
    return sample_identity(np.random.default_rng(seed), style)


def full(emotion: str) -> ExpressionParams:
    return ExpressionParams.from_emotions({emotion: 1.0})


def point(render: FaceRender, name: str) -> np.ndarray:
    return render.landmarks[LANDMARK_NAMES.index(name)]


# ------------------------------------------------------------------------------------------------ determinism

def test_same_parameters_give_the_same_bytes():
    face = identity(3)
    expression = ExpressionParams.from_emotions([0.2, 0, 0.1, 0.5, 0.2, 0, 0])
    a, b = render_face(face, expression, 37.5, 96), render_face(face, expression, 37.5, 96)
    assert a.rgba.tobytes() == b.rgba.tobytes()
    assert a.mask.tobytes() == b.mask.tobytes()
    assert a.landmarks.tobytes() == b.landmarks.tobytes()


def test_sample_identity_is_deterministic_under_a_seed_and_varies_across_seeds():
    assert identity(11) == identity(11)
    assert len({identity(seed) for seed in range(20)}) == 20


# ---------------------------------------------------------------------------------------------------- ranges

def test_sampled_identities_are_valid_and_cover_every_style_hair_and_accessory():
    faces = [identity(seed) for seed in range(300)]
    for face in faces:
        face.validate()
        for name in ("skin_tone", "face_width", "chin", "eye_shape", "eye_size", "eye_spacing", "brow_thickness"):
            assert 0.0 <= getattr(face, name) <= 1.0
    assert {f.style for f in faces} == set(STYLES)
    assert {f.hair_style for f in faces} == set(HAIR_STYLES)
    assert {f.accessory for f in faces} == set(ACCESSORIES)


def test_style_biases_the_draw():
    cute = [identity(seed, "cute") for seed in range(100)]
    cool = [identity(seed, "cool") for seed in range(100)]
    assert all(f.style == "cute" for f in cute)
    assert np.mean([f.eye_size for f in cute]) > np.mean([f.eye_size for f in cool]) + 0.15
    assert not any(f.hair_style == "spiky" for f in cute)
    assert sum(f.accessory == "headset" for f in (identity(s, "tech") for s in range(100))) > 20


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=7, max_size=7))
def test_from_emotions_stays_in_every_parameter_range(vector):
    params = ExpressionParams.from_emotions(vector)
    for spec in PARAM_SPECS:
        assert spec.lo <= getattr(params, spec.name) <= spec.hi


def test_emotion_table_rows_are_the_pure_emotions_and_neutral_is_rest():
    for emotion in EMOTIONS:
        assert full(emotion) == EMOTION_TABLE[emotion]
    assert full("neutral") == REST == ExpressionParams.from_emotions([0] * 7)


def test_intensity_scales_an_emotion_from_rest():
    half = ExpressionParams.from_emotions({"sadness": 0.5}).to_vector()
    assert np.allclose(half, 0.5 * (REST.to_vector() + EMOTION_TABLE["sadness"].to_vector()), atol=1e-6)


@pytest.mark.parametrize("size", [64, 128, 512])
def test_output_shapes_and_transparent_background(size):
    render = render_face(identity(5), full("joy"), 0, size)
    assert render.rgba.shape == (size, size, 4) and render.rgba.dtype == np.uint8
    assert render.mask.shape == (size, size) and render.mask.dtype == bool
    assert render.landmarks.shape == (len(LANDMARK_NAMES), 2) and render.landmarks.dtype == np.float32
    assert render.rgba[0, 0, 3] == 0 and render.rgba[0, -1, 3] == 0  # corners are background
    alpha = render.rgba[..., 3]
    assert (alpha == 255).mean() > 0.3
    assert ((alpha > 0) & (alpha < 255)).any()  # antialiased edges


# ---------------------------------------------------------------------------------------------------- the mask

YAWS = (0.0, 40.0, 80.0, 13.0, 62.0, -35.0)


@pytest.mark.parametrize("seed", range(24))
def test_every_pixel_an_emotion_changes_lies_inside_the_mask(seed):
    face = identity(seed)
    yaw = YAWS[seed % len(YAWS)]
    neutral = render_face(face, None, yaw)
    assert neutral.mask.any()
    for emotion in EMOTIONS:
        render = render_face(face, full(emotion), yaw)
        assert np.array_equal(render.mask, neutral.mask)  # the mask does not depend on the expression
        changed = (render.rgba != neutral.rgba).any(axis=2)
        assert not (changed & ~neutral.mask).any(), f"{emotion} changed pixels outside the mask"
        if emotion != "neutral":
            assert changed.any(), f"{emotion} changed nothing"


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.floats(-80, 80),
       st.lists(st.floats(0.0, 1.0), min_size=len(PARAM_SPECS), max_size=len(PARAM_SPECS)),
       st.sampled_from([64, 96, 128, 200]))
def test_any_expression_parameters_stay_inside_the_mask(seed, yaw, unit, size):
    # Every parameter anywhere in its range, including the extremes no emotion reaches.
    params = ExpressionParams.from_vector([s.lo + u * (s.hi - s.lo) for s, u in zip(PARAM_SPECS, unit)])
    face = identity(seed)
    neutral, render = render_face(face, None, yaw, size), render_face(face, params, yaw, size)
    changed = (render.rgba != neutral.rgba).any(axis=2)
    assert not (changed & ~neutral.mask).any()


@settings(max_examples=int(__import__("os").environ.get("REGION_EXAMPLES", 60)), deadline=None)
@given(st.integers(0, 10**6), st.floats(-80, 80),
       st.lists(st.floats(0.0, 1.0), min_size=len(PARAM_SPECS), max_size=len(PARAM_SPECS)))
def test_expression_regions_hold_every_drawing_without_clipping(seed, yaw, unit):
    # With clipping switched off, a drawing that reached past its region would change pixels outside the
    # mask; so this shows the clip never cuts a feature short.
    params = ExpressionParams.from_vector([s.lo + u * (s.hi - s.lo) for s, u in zip(PARAM_SPECS, unit)])
    face = identity(seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Painter, "clip", lambda self, outside, parts: None)
        patch.setattr(Painter, "unclip", lambda self: None)
        neutral, render = render_face(face, None, yaw), render_face(face, params, yaw)
    changed = (render.rgba != neutral.rgba).any(axis=2)
    assert not (changed & ~neutral.mask).any()


def test_mask_covers_the_features_and_leaves_hair_neck_and_body_out():
    render = render_face(identity(2), None, 0)
    face_pixels = render.rgba[..., 3] > 0
    assert 0.1 < render.mask[face_pixels].mean() < 0.6
    assert not render.mask[:20].any() and not render.mask[-15:].any()  # crown; shoulders
    for name in ("eye_left_pupil", "eye_right_pupil", "lip_top", "brow_left_middle"):
        x, y = np.round(point(render, name)).astype(int)
        assert render.mask[y, x], name


# ----------------------------------------------------------------------------------------------- landmarks

def test_landmarks_are_named_uniquely_and_lie_in_the_image():
    assert len(LANDMARK_NAMES) >= 20 and len(set(LANDMARK_NAMES)) == len(LANDMARK_NAMES)
    for yaw in (0, 40, 80):
        render = render_face(identity(8), full("surprise"), yaw)
        assert ((render.landmarks >= 0) & (render.landmarks < 128)).all()


def test_mouth_corners_rise_with_joy_and_fall_with_sadness():
    face = identity(4)
    neutral, joy, sad = (render_face(face, e) for e in (None, full("joy"), full("sadness")))
    for corner in ("mouth_left", "mouth_right"):
        assert point(joy, corner)[1] < point(neutral, corner)[1] - 1.0  # y grows downwards
        assert point(sad, corner)[1] > point(neutral, corner)[1] + 0.5
    width = lambda r: point(r, "mouth_right")[0] - point(r, "mouth_left")[0]
    assert width(render_face(face, REST.with_mouth_shape("I"))) > width(neutral) > width(render_face(face, REST.with_mouth_shape("U")))


def test_brows_and_lids_move_as_documented():
    face = identity(6)
    neutral, surprise, anger, sadness = (render_face(face, e) for e in (None, full("surprise"), full("anger"), full("sadness")))
    for side in ("left", "right"):
        assert point(surprise, f"brow_{side}_middle")[1] < point(neutral, f"brow_{side}_middle")[1] - 2
        assert point(anger, f"brow_{side}_inner")[1] > point(neutral, f"brow_{side}_inner")[1] + 2
        # Sad brows slant: the inner end rises above the outer end.
        assert point(sadness, f"brow_{side}_inner")[1] < point(sadness, f"brow_{side}_outer")[1]
        opening = lambda r: point(r, f"eye_{side}_bottom")[1] - point(r, f"eye_{side}_top")[1]
        assert opening(surprise) > opening(neutral) > opening(render_face(face, ExpressionParams(eye_open=0.1)))
    mouth = lambda r: point(r, "lip_bottom")[1] - point(r, "lip_top")[1]
    assert mouth(surprise) > mouth(neutral) + 3


def test_yaw_turns_the_face_and_hides_the_far_eye():
    face = identity(9)
    front, half, profile = (render_face(face, None, yaw) for yaw in (0, 40, 80))
    assert front.visible.all() and half.visible.all()
    hidden = {name for name, v in zip(LANDMARK_NAMES, profile.visible) if not v}
    assert "eye_right_pupil" in hidden and "eye_left_pupil" not in hidden
    nose = [point(r, "nose_tip")[0] for r in (front, half, profile)]
    assert nose[0] < nose[1] < nose[2]
    mirrored = render_face(face, None, -40)
    assert point(mirrored, "nose_tip")[0] < nose[0]


# ------------------------------------------------------------------------------------------------- blending

@pytest.mark.parametrize("a,b", [("joy", "sadness"), ("anger", "surprise"), ("fear", "disgust")])
def test_mixed_emotions_blend_between_their_pure_renders(a, b):
    pure_a, pure_b, mixed = full(a), full(b), ExpressionParams.from_emotions({a: 0.5, b: 0.5})
    assert np.allclose(mixed.to_vector(), (pure_a.to_vector() + pure_b.to_vector()) / 2, atol=1e-6)
    face = identity(12)
    ra, rb, rm = (render_face(face, e) for e in (pure_a, pure_b, mixed))
    moved = np.abs(ra.landmarks - rb.landmarks) > 0.5
    assert moved.any()
    low, high = np.minimum(ra.landmarks, rb.landmarks) - 0.25, np.maximum(ra.landmarks, rb.landmarks) + 0.25
    assert ((rm.landmarks >= low) & (rm.landmarks <= high))[moved].all()
    # Strictly between for the landmarks that move most, not a copy of either end.
    biggest = np.abs(ra.landmarks - rb.landmarks) > 3.0
    assert ((rm.landmarks > low + 0.75) & (rm.landmarks < high - 0.75))[biggest].all()


def test_blend_mixes_vrm_presets_and_mouth_shapes_move_only_the_mouth():
    happy_sad = ExpressionParams.blend([(VRM_PRESETS["happy"], 0.5), (VRM_PRESETS["sad"], 0.5)])
    assert happy_sad == ExpressionParams.from_emotions({"joy": 0.5, "sadness": 0.5})
    assert set(VRM_PRESETS) >= {"happy", "angry", "sad", "relaxed", "surprised"}
    assert set(MOUTH_SHAPES) == {"rest", "A", "I", "U", "E", "O"}
    spoken = EMOTION_TABLE["anger"].with_mouth_shape("O")
    changed = {name for name in EXPRESSION_PARAMS if getattr(spoken, name) != getattr(EMOTION_TABLE["anger"], name)}
    assert changed <= {"mouth_open", "mouth_width"} and spoken.mouth_open == MOUTH_SHAPES["O"]["mouth_open"]


# -------------------------------------------------------------------------------------------- bad parameters

@pytest.mark.parametrize("call,key", [
    (lambda: ExpressionParams(eye_open=1.5), "eye_open"),
    (lambda: ExpressionParams(mouth_form=math.nan), "mouth_form"),
    (lambda: ExpressionParams(blush="lots"), "blush"),
    (lambda: ExpressionParams.from_dict({"eye_opn": 0.5}), "eye_opn"),
    (lambda: ExpressionParams.from_emotions({"happiness": 1.0}), "happiness"),
    (lambda: ExpressionParams.from_emotions([0, 0, 0, 1.2, 0, 0, 0]), "joy"),
    (lambda: ExpressionParams.from_emotions([0, 0, math.nan, 0, 0, 0, 0]), "fear"),
    (lambda: ExpressionParams.from_emotions([0.5, 0.5]), ""),
    (lambda: REST.with_mouth_shape("Y"), "mouth shape"),
    (lambda: FaceIdentity(skin_tone=-0.1), "skin_tone"),
    (lambda: FaceIdentity(chin=math.nan), "chin"),
    (lambda: FaceIdentity(hair_style="mohawk"), "hair_style"),
    (lambda: FaceIdentity(hair_color="pink"), "hair_color"),
    (lambda: FaceIdentity.from_dict({"eye_colour": "#ffffff"}), "eye_colour"),
    (lambda: sample_identity(np.random.default_rng(0), style="goth"), "style"),
    (lambda: sample_identity(42), "rng"),
    (lambda: render_face(identity(0), None, yaw=95), "yaw"),
    (lambda: render_face(identity(0), None, yaw=math.nan), "yaw"),
    (lambda: render_face(identity(0), None, size=600), "size"),
    (lambda: render_face(identity(0), None, size=100.0), "size"),
    (lambda: render_face(identity(0), {"joy": 1.0}), "expression"),
    (lambda: render_face(identity(0), None, line_weight=0.1), "line_weight"),
    (lambda: off_palette_color(np.random.default_rng(0), "skin"), "role"),
])
def test_bad_parameters_raise_definition_error_naming_the_parameter(call, key):
    with pytest.raises(DefinitionError) as info:
        call()
    assert info.value.key == key
    if key:
        assert key in str(info.value)


def test_off_palette_colours_are_never_drawn_by_sample_identity():
    import colorsys

    def hsv(color: str) -> np.ndarray:
        return np.array(colorsys.rgb_to_hsv(*(c / 255 for c in hex_to_rgb(color))))

    for role in ("hair", "eye", "accent"):
        drawn = [off_palette_color(rng, role) for rng in [np.random.default_rng(3)] for _ in range(50)]
        assert drawn == [off_palette_color(rng, role) for rng in [np.random.default_rng(3)] for _ in range(50)]
        bases = np.array([hsv(c) for palette in STYLE_PALETTES.values() for c in palette[role]])
        for color in drawn:
            h, s, v = hsv(color)
            hue = np.minimum(abs(bases[:, 0] - h), 1 - abs(bases[:, 0] - h))
            # Jitter moves a palette colour at most (0.02, 0.08, 0.08): these stay clear of every jittered draw.
            assert not np.any((hue < 0.03) & (abs(bases[:, 1] - s) < 0.1) & (abs(bases[:, 2] - v) < 0.1)), (role, color)
    sampled = {getattr(identity(seed), f"{role}_color") for seed in range(200) for role in ("hair", "eye", "accent")}
    assert not sampled & {off_palette_color(np.random.default_rng(k), "hair") for k in range(200)}


def test_heavier_lines_draw_more_ink_and_the_house_style_is_weight_one():
    face = identity(4)
    house, heavy = render_face(face, full("joy")), render_face(face, full("joy"), line_weight=2.5)
    assert np.array_equal(house.rgba, render_face(face, full("joy"), line_weight=1.0).rgba)
    opaque = (house.rgba[..., 3] == 255) & (heavy.rgba[..., 3] == 255)
    darker = (house.rgba[..., :3].astype(int).sum(-1) - heavy.rgba[..., :3].astype(int).sum(-1))[opaque]
    assert (darker > 90).sum() > 500 and (darker > 90).sum() > 3 * (darker < -90).sum()  # wider strokes of ink
    assert np.array_equal(house.mask, heavy.mask)  # the mask is where expressions draw, whatever the style


def test_identity_and_expression_round_trip_through_dicts():
    face = identity(21)
    assert FaceIdentity.from_dict(face.to_dict()) == face
    params = ExpressionParams.from_emotions({"fear": 0.7, "joy": 0.3})
    assert ExpressionParams.from_dict(params.to_dict()) == params
    assert ExpressionParams.from_vector(params.to_vector(np.float64)) == params


# --------------------------------------------------------------------------------------- documented mapping

def _documented_rows(lines):
    rows = {}
    for line in lines:
        cells = line.replace("|", " ").split()
        if cells and cells[0] in EMOTIONS and len(cells) == 1 + len(EXPRESSION_PARAMS):
            rows[cells[0]] = [float(c) for c in cells[1:]]
    return rows


def test_documented_emotion_tables_match_the_code():
    import pathlib

    from anisync.procedural import expression

    docs = pathlib.Path(__file__).resolve().parents[1] / "docs" / "procedural.md"
    for source in (expression.__doc__.splitlines(), docs.read_text().splitlines()):
        rows = _documented_rows(source)
        assert set(rows) == set(EMOTIONS)
        for emotion, values in rows.items():
            assert np.allclose(values, EMOTION_TABLE[emotion].to_vector(np.float64)), emotion
