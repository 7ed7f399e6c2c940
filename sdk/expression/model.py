"""AMEE-GAN's networks (Peng, sections 2.2.1-2.2.2) in torch: imported only to train and export.

Generator ``G(I, c)``, for an RGBA face ``I`` in [-1, 1] and a condition ``c`` (the 13 expression
parameters of :data:`anisync.procedural.expression.EXPRESSION_PARAMS`):

* encoder: 5 convolutions, each followed by BatchNorm and LeakyReLU(0.2): ``z = G_enc(I)`` (eq. 8). The
  first ``downsampling`` halve the image (4x4, stride 2), the others keep its size (3x3, stride 1), so
  that ``z`` keeps ``image_size / 2**downsampling`` pixels on a side: at 4x4 (five halvings) a decoder
  can only redraw a blur, and an editor trained that way learns to copy its input;
* 3 residual blocks between encoder and decoder (two 3x3 convolutions with BatchNorm, identity skip);
* the condition tiled over ``z``'s pixels and concatenated with it as channels;
* decoder: 5 transposed convolutions mirroring the encoder (stride 1, then stride 2 for the last
  ``downsampling``), BatchNorm and LeakyReLU after each but the last, which ends in Tanh: the
  intermediate image ``I_a^m = G_dec(z, c)`` (eq. 9);
* foreground mask head: a transposed convolution beside the decoder's last one, on the same features,
  ending in a sigmoid: ``M``, one channel;
* output ``M * I_a^m + (1 - M) * I``: where the mask is 0 the input passes through untouched (the same
  composition as GANimation). ``use_mask=False`` (the "no mask" ablation) returns ``I_a^m`` itself.

Discriminator ``D(I)``: one shared trunk of 5 convolutions (4x4, stride 2, LeakyReLU; no BatchNorm, as a
gradient-penalty critic wants) and two heads (Peng's image discriminator and expression magnitude
discriminator sharing most weights): ``real`` (a 3x3 convolution, a realism score per patch) and
``expression`` (a convolution over the whole remaining map, regressing the 13 expression parameters).

Channel widths are ``width * (1, 2, 4, 8, 8)`` down the encoder and back up the decoder (the
discriminator's trunk too), so that a training run can be sized for the machine it runs on.

:class:`UNetGenerator` (``NetworkConfig(arch="unet")``) is our design beside the paper's, with the same
inputs and outputs. AMEE-GAN squeezes the whole face through its bottleneck and redraws it, so its
capacity goes on reproducing the identity and the edit comes out blurred or not at all. The U-Net's skip
connections carry the identity's detail around the bottleneck at every scale, and the condition modulates
the features at every scale (FiLM: ``features * (1 + gamma(c)) + beta(c)``, a learned linear map of the
13 expression parameters per level), so a mouth or a tear at full resolution is as reachable as a brow
at the bottleneck. Its output is composed through a mask as AMEE-GAN's is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..procedural.expression import EXPRESSION_PARAMS
from . import ARCHITECTURES

#: Channels of the images the networks see: RGBA.
IMAGE_CHANNELS = 4
#: Width of the condition: the expression parameters.
CONDITION_SIZE = len(EXPRESSION_PARAMS)
#: Down- and up-sampling steps of the encoder and decoder (Peng: 5 each).
STEPS = 5
#: Residual blocks between encoder and decoder (Peng: 3).
RESIDUAL_BLOCKS = 3
WIDTH_FACTORS = (1, 2, 4, 8, 8)


@dataclass(frozen=True)
class NetworkConfig:
    """Sizes of both networks: ``image_size`` (a multiple of 32, 64 to 512), the base channel ``width``,
    how many of the encoder's convolutions halve the image (``downsampling``, 1 to 5), whether the
    generator composes its output through the mask (``use_mask``) and its design (``arch``)."""

    image_size: int = 128
    width: int = 32
    downsampling: int = 2
    #: False for the "no mask" ablation: the output is the decoder's image itself (the mask reads 1).
    use_mask: bool = True
    arch: str = "amee"

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch: expected one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if not (isinstance(self.downsampling, int) and 1 <= self.downsampling <= STEPS):
            raise ValueError(f"downsampling: expected an integer from 1 to {STEPS}, got {self.downsampling!r}")
        if not (isinstance(self.image_size, int) and 64 <= self.image_size <= 512 and self.image_size % 32 == 0):
            raise ValueError(f"image_size: expected a multiple of 32 from 64 to 512, got {self.image_size!r}")
        if not (isinstance(self.width, int) and 1 <= self.width <= 256):
            raise ValueError(f"width: expected an integer from 1 to 256, got {self.width!r}")

    @property
    def channels(self) -> tuple[int, ...]:
        return tuple(self.width * f for f in WIDTH_FACTORS)

    def as_dict(self) -> dict:
        return asdict(self)


def _downsampling(channels: tuple[int, ...], norm: bool, halvings: int = STEPS) -> nn.Sequential:
    """Convolutions from RGBA through ``channels``, each with LeakyReLU (and BatchNorm): the first
    ``halvings`` 4x4 with stride 2, the rest 3x3 with stride 1."""
    layers: list[nn.Module] = []
    for k, (cin, cout) in enumerate(zip((IMAGE_CHANNELS,) + channels[:-1], channels)):
        kernel, stride = (4, 2) if k < halvings else (3, 1)
        layers.append(nn.Conv2d(cin, cout, kernel, stride=stride, padding=1, bias=not norm))
        if norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int, double: bool, bias: bool = True) -> nn.ConvTranspose2d:
    """A transposed convolution that doubles the image (4x4, stride 2) or keeps its size (3x3, stride 1)."""
    kernel, stride = (4, 2) if double else (3, 1)
    return nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=1, bias=bias)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and an identity skip (Peng, figure 3)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(nn.Module):
    """``forward(image, condition) -> (edited, intermediate, mask)``; see the module docstring."""

    def __init__(self, config: NetworkConfig = NetworkConfig()):
        super().__init__()
        self.config = config
        channels = config.channels
        self.encoder = _downsampling(channels, norm=True, halvings=config.downsampling)
        self.residual = nn.Sequential(*(ResidualBlock(channels[-1]) for _ in range(RESIDUAL_BLOCKS)))
        decoder: list[nn.Module] = []
        ups = (channels[-1] + CONDITION_SIZE,) + tuple(reversed(channels[:-1]))
        # The decoder's k-th layer doubles the image where the encoder's (STEPS - 1 - k)-th halved it.
        doubles = [STEPS - 1 - k < config.downsampling for k in range(STEPS)]
        for (cin, cout), double in zip(zip(ups[:-1], ups[1:]), doubles):
            decoder += [_up(cin, cout, double, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
        self.decoder = nn.Sequential(*decoder)
        self.image_head = nn.Sequential(_up(ups[-1], IMAGE_CHANNELS, doubles[-1]), nn.Tanh())
        self.mask_head = nn.Sequential(_up(ups[-1], 1, doubles[-1]), nn.Sigmoid()) if config.use_mask else None

    def forward(self, image: torch.Tensor, condition: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z = self.residual(self.encoder(image))
        tiled = condition[:, :, None, None].expand(-1, -1, z.shape[2], z.shape[3])
        features = self.decoder(torch.cat([z, tiled], dim=1))
        intermediate = self.image_head(features)
        if not self.config.use_mask:
            return intermediate, intermediate, torch.ones_like(intermediate[:, :1])
        mask = self.mask_head(features)
        return mask * intermediate + (1 - mask) * image, intermediate, mask


class _Film(nn.Module):
    """Feature-wise modulation by the condition: ``x * (1 + gamma(c)) + beta(c)``; starts as the identity."""

    def __init__(self, channels: int):
        super().__init__()
        self.linear = nn.Linear(CONDITION_SIZE, 2 * channels)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.linear(condition)[:, :, None, None].chunk(2, dim=1)
        return x * (1 + gamma) + beta


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    kernel = 4 if stride == 2 else 3
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride=stride, padding=1), nn.LeakyReLU(0.2))


class UNetGenerator(nn.Module):
    """Our editor: a U-Net with FiLM conditioning at every level and a masked output (module docstring).

    ``config.downsampling`` halvings (4 at 128 px: an 8x8 bottleneck); level k has ``config.channels[k]``
    channels. ``forward(image, condition) -> (edited, intermediate, mask)``, as :class:`Generator`.
    """

    def __init__(self, config: NetworkConfig = NetworkConfig(arch="unet", downsampling=4)):
        super().__init__()
        self.config = config
        channels = config.channels[: config.downsampling + 1]
        self.stem = _conv(IMAGE_CHANNELS, channels[0])
        self.down = nn.ModuleList(_conv(cin, cout, stride=2) for cin, cout in zip(channels[:-1], channels[1:]))
        self.up = nn.ModuleList(_up(cin, cout, double=True) for cin, cout in zip(channels[:0:-1], channels[-2::-1]))
        self.merge = nn.ModuleList(_conv(2 * c, c) for c in channels[-2::-1])
        self.film_down = nn.ModuleList(_Film(c) for c in channels)
        self.film_up = nn.ModuleList(_Film(c) for c in channels[-2::-1])
        self.image_head = nn.Sequential(nn.Conv2d(channels[0], IMAGE_CHANNELS, 3, padding=1), nn.Tanh())
        self.mask_head = nn.Sequential(nn.Conv2d(channels[0], 1, 3, padding=1), nn.Sigmoid()) if config.use_mask else None

    def trunk(self, image: torch.Tensor, condition: torch.Tensor, up: nn.ModuleList | None = None) -> torch.Tensor:
        """The full-resolution features the heads read; ``up`` stands in for the upsampling layers (the
        int8 form's sub-pixel convolutions, :mod:`anisync.expression.quantize`)."""
        x = self.film_down[0](self.stem(image), condition)
        skips = [x]
        for down, film in zip(self.down, self.film_down[1:]):
            x = film(down(x), condition)
            skips.append(x)
        for upsample, merge, film, skip in zip(up or self.up, self.merge, self.film_up, reversed(skips[:-1])):
            x = film(merge(torch.cat([nn.functional.leaky_relu(upsample(x), 0.2), skip], dim=1)), condition)
        return x

    def forward(self, image: torch.Tensor, condition: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.trunk(image, condition)
        intermediate = self.image_head(x)
        if self.mask_head is None:
            return intermediate, intermediate, torch.ones_like(intermediate[:, :1])
        mask = self.mask_head(x)
        return mask * intermediate + (1 - mask) * image, intermediate, mask


def build_generator(config: NetworkConfig) -> nn.Module:
    """The generator of ``config.arch``: :class:`Generator` (AMEE-GAN) or :class:`UNetGenerator`."""
    return UNetGenerator(config) if config.arch == "unet" else Generator(config)


class Discriminator(nn.Module):
    """``forward(image) -> (real, expression)``: per-patch realism scores and the regressed expression
    parameters, from one shared trunk (see the module docstring)."""

    def __init__(self, config: NetworkConfig = NetworkConfig()):
        super().__init__()
        self.config = config
        channels = config.channels
        self.trunk = _downsampling(channels, norm=False)
        side = config.image_size // 2 ** STEPS
        self.real = nn.Conv2d(channels[-1], 1, 3, padding=1)
        self.expression = nn.Conv2d(channels[-1], CONDITION_SIZE, side)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(image)
        return self.real(features), self.expression(features).flatten(1)


def parameter_count(module: nn.Module) -> int:
    """Trainable parameters of a network."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
