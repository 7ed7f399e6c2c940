"""The stylizer's networks (torch; imported only to train): Tan's generator, residual blocks with CBAM
attention, its discriminator, and the CartoonGAN-style generator it is compared with.

Tan ("AI Digital Anime Style Generation Algorithm Based on Adversarial Generative Network") builds a GAN
whose generator extracts features with residual blocks and corrects them with the convolutional block
attention module (CBAM: Woo et al., channel attention from pooled descriptors, then spatial attention
from a 7x7 convolution of the channel-pooled maps), and whose discriminator also uses residual blocks.
Sizes here are chosen so that a 256x256 image is stylized within 50 ms on one CPU thread:

* :class:`StyleGenerator`: a 7x7 stem at full size, two stride-2 convolutions down to a quarter, residual
  blocks there (each with CBAM when ``attention``), then back up: a 2x bilinear upsample joined with the
  half-size features (a skip, so that lines stay where they were), and a pixel-shuffle head whose output is
  *added to the input image*: the network learns the change, so one that learned nothing copies its input.
  No normalisation layer: instance normalisation would take away each image's own brightness and colour,
  which the change depends on (lit faces and scenes are brightened by different amounts), and it slowed
  learning here (L1 0.152 after 750 steps with it);
* ``StyleGenerator(attention=False)`` is the same network without CBAM (the ablation), and, trained with
  CartoonGAN's objective (:mod:`anisync.stylize.train`), the CartoonGAN-style baseline;
* :class:`PatchDiscriminator`: strided 4x4 convolutions with one residual block, scoring overlapping
  patches (a pix2pix PatchGAN) of the image beside its input (conditional), or alone (CartoonGAN).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CBAM(nn.Module):
    """Convolutional block attention: channel attention (a shared MLP on average- and max-pooled
    descriptors), then spatial attention (7x7 convolution of the channel mean and max)."""

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        hidden = max(4, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, channels, 1))
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channel = torch.sigmoid(self.mlp(x.mean(dim=(2, 3), keepdim=True)) + self.mlp(x.amax(dim=(2, 3), keepdim=True)))
        x = x * channel
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(pooled))


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions (instance-normalised when ``normalised``), CBAM on the branch when ``attention``,
    plus the input."""

    def __init__(self, channels: int, attention: bool, normalised: bool = False):
        super().__init__()
        norm = (lambda: nn.InstanceNorm2d(channels, affine=True)) if normalised else nn.Identity
        self.branch = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), norm(), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), norm(),
            *([CBAM(channels)] if attention else []))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


def _conv(inputs: int, outputs: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, stride, kernel // 2), nn.ReLU())


class StyleGenerator(nn.Module):
    """RGB in [-1, 1] ``[n, 3, H, W]`` (H and W multiples of 4) to its anime rendering (module docstring)."""

    def __init__(self, width: int = 48, blocks: int = 4, attention: bool = True):
        super().__init__()
        self.width, self.blocks, self.attention = width, blocks, attention
        stem, half = width // 3, 2 * width // 3
        self.stem = _conv(3, stem, 7)
        self.down_half = _conv(stem, half, 3, 2)
        self.down_quarter = _conv(half, width, 3, 2)
        self.body = nn.Sequential(*(ResidualBlock(width, attention) for _ in range(blocks)))
        self.up_half = _conv(width + half, half, 3)
        self.head = nn.Sequential(nn.Conv2d(half, 12, 3, padding=1), nn.PixelShuffle(2))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        half = self.down_half(self.stem(image))
        features = self.body(self.down_quarter(half))
        features = F.interpolate(features, scale_factor=2, mode="bilinear", align_corners=False)
        features = self.up_half(torch.cat([features, half], dim=1))
        return torch.clamp(image + self.head(features), -1.0, 1.0)


class PatchDiscriminator(nn.Module):
    """Real-or-generated scores of overlapping patches (about 46 px across) of ``channels``-channel images."""

    def __init__(self, channels: int = 6, width: int = 32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.InstanceNorm2d(2 * width, affine=True), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1), nn.InstanceNorm2d(4 * width, affine=True), nn.LeakyReLU(0.2),
            ResidualBlock(4 * width, attention=False, normalised=True),
            nn.Conv2d(4 * width, 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
