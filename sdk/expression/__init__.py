"""The expression editor: Peng's AMEE-GAN, trained by our own code, exported to ONNX, run by the SDK.

It takes a character's face and a target expression and returns the face with that expression, touching
only what the expression moves (a foreground mask decides where the edit shows).

* :mod:`anisync.expression.editor`: :class:`ExpressionEditor`, the runtime (numpy and onnxruntime only).
* :mod:`anisync.expression.model`: the generator and discriminator networks (torch; training and export only).
* :mod:`anisync.expression.paired`: training our U-Net generator on exact pairs (torch).
* :mod:`anisync.expression.export`: ONNX export with the model card.
* :mod:`anisync.expression.card`: model cards and their sha256 check.

Importing this package imports neither torch nor onnxruntime (the editor loads onnxruntime when made).
"""

from .card import card_path, sha256_of
from .editor import SIGNATURE, ExpressionEditor

#: Generator designs: Peng's AMEE-GAN and our U-Net (:mod:`anisync.expression.model`).
ARCHITECTURES = ("amee", "unet")

__all__ = ["ARCHITECTURES", "ExpressionEditor", "SIGNATURE", "card_path", "sha256_of"]
