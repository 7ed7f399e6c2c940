"""The appearance generator (issue 6): a new character's neutral face from the attributes a designer asks
for and a seed, so a game can fill a town with distinct, on-brief characters.

    from anisync.appearance import AppearanceGenerator
    generator = AppearanceGenerator("appearance.onnx")
    face = generator.generate({"style": "cool", "hair_color": "silver", "accessory": "glasses"}, seed=3)

* :mod:`anisync.appearance.attributes`: the attribute vocabulary (style, hair style, hair and eye colour
  names, accessory) and its one-hot code, in one place.
* :mod:`anisync.appearance.generator`: :class:`AppearanceGenerator`, the runtime (numpy and onnxruntime only).
* :mod:`anisync.appearance.data`: ``anisync data appearance`` (neutral frontal procedural faces with
  independent attributes) and the loader.
* :mod:`anisync.appearance.model`, :mod:`~anisync.appearance.train`, :mod:`~anisync.appearance.export`: Zhou's
  BiLSTM-MA decoder, its baselines and a conv decoder, trained as a conditional VAE, exported to ONNX
  (torch; training only).
* :mod:`anisync.appearance.classifier`: the attribute classifier network (torch), trained apart as the
  evaluation's judge and as the trainer's guide.
* :mod:`anisync.appearance.judge`, :mod:`~anisync.appearance.evaluate`: the attribute judge and ``anisync eval
  appearance``.

Importing this package imports neither torch nor onnxruntime (the generator loads onnxruntime when made).
"""

from .attributes import ATTRIBUTES, EYE_COLORS, HAIR_COLORS, attributes_of, check_attributes, vocabulary
from .generator import SIGNATURE, AppearanceGenerator

__all__ = ["ATTRIBUTES", "AppearanceGenerator", "EYE_COLORS", "HAIR_COLORS", "SIGNATURE", "attributes_of",
           "check_attributes", "vocabulary"]
