"""The anime stylizer: any image (a studio's concept portrait, a 3D render, a photo) redrawn in anisync's
anime style, after Tan's residual GAN with CBAM attention.

    from anisync.stylize import Stylizer
    anime = Stylizer().stylize(image)       # uint8 RGB or RGBA, [H, W, C] or [n, H, W, C]

* :mod:`anisync.stylize.stylizer`: :class:`Stylizer`, the runtime (numpy and onnxruntime only), and
  ``anisync stylize IN... --out DIR``.
* :mod:`anisync.stylize.pairs`: style pairs whose true anime rendering is known (``anisync data
  stylize-faces``); the village's scene pairs are drawn by ``anisync.demo.style_scenes`` (``anisync data
  stylize-scenes``, Panda3D).
* :mod:`anisync.stylize.model`, :mod:`~anisync.stylize.train`: the networks and ``anisync train stylizer``
  (torch; training only).
* :mod:`anisync.stylize.evaluate`: ``anisync eval stylize``.

Importing this package imports neither torch nor onnxruntime (the stylizer loads onnxruntime when made).
"""

from .stylizer import DEFAULT_MODEL, SIGNATURE, Stylizer

__all__ = ["DEFAULT_MODEL", "SIGNATURE", "Stylizer"]
