"""The appearance models' sizes, apart from the networks (no torch), so that the command line states the
defaults once: ``anisync train appearance`` takes its defaults from :class:`AppearanceConfig`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: The architectures of ``anisync train appearance --arch``.
ARCHS = ("bilstm-ma", "lstm", "tam-lstm", "cam-lstm", "conv")


@dataclass(frozen=True)
class AppearanceConfig:
    """Sizes of one model: ``arch`` (one of :data:`ARCHS`), LSTM units per direction (``hidden``), latent
    size ``z_dim``, row-position code size, fusion width, TAM's ``heads`` (``M``), CAM's ``reduction``, the
    conv decoder's base width and the encoder's base width."""

    arch: str = "bilstm-ma"
    hidden: int = 96
    z_dim: int = 32
    position: int = 16
    fusion: int = 128
    heads: int = 4
    reduction: int = 4
    conv_width: int = 16
    encoder_width: int = 16

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"arch: expected one of {', '.join(ARCHS)}, got {self.arch!r}")
        for name in ("hidden", "z_dim", "position", "fusion", "heads", "reduction", "conv_width", "encoder_width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive integer, got {value!r}")

    def as_dict(self) -> dict:
        return asdict(self)
