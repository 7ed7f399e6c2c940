"""The appearance generator's networks (torch; imported only to train and export).

Every decoder maps a character's attributes (the one-hot code of :mod:`anisync.appearance.attributes`) and a
latent ``z`` to a 64x64 RGBA face in [-1, 1]. Training is a conditional VAE (:mod:`anisync.appearance.train`),
so each decoder comes with the same small convolutional :class:`Encoder` ``q(z | image, attributes)``.

Zhou's design (BiLSTM-MA, sections 3.2-3.3) reads an image as a sequence: here the 64 rows are the
time steps. The input of step ``t`` is ``[attributes, z, p_t]``: the conditioning at every step, and a
learned code ``p_t`` of the row's position. Then, for ``bilstm-ma``:

* a bidirectional LSTM over the 64 steps: ``H`` (T x C, ``C = 2 * hidden``);
* temporal attention, TAM (eq. 7-9): ``V = H W_t + b`` holds ``M`` (``heads``) unnormalised weights per
  step (eq. 7, ``V`` is M x T); ``B = softmax`` over the steps, so each of the ``M`` rows sums to 1
  (eq. 8); ``delta`` is their mean over the ``M`` rows (eq. 9), one weight per step; the temporally
  attended features are ``c = sum_t delta_t H_t`` (figure 5's ``reduce_sum(output * weights)``);
* channel attention, CAM (figure 3): squeeze ``F_1`` to one value per channel ``Z``, excitation ``F_2``
  through two fully connected layers ``W_1`` (to ``C / reduction``, ReLU) and ``W_2`` (back to ``C``,
  sigmoid): ``Q``; the output is ``f = Q * f_out + f_out`` (multiplied with the input feature map, plus
  the residual). In BiLSTM-MA the squeeze is TAM's ``c`` (figure 5 applies channel attention to the
  temporal attention's output), and the map it weights is ``H``: ``F_t = Q * H_t + H_t``;
* feature fusion: ``u_t = LeakyReLU(W_f [H_t ; F_t ; c] + b_f)``, the BiLSTM output joined with the
  attended features;
* the generation layer: a dense layer and tanh emit row ``t``'s 64 x 4 values from ``u_t``.

Where Zhou leaves room, these are our readings: its ``M`` (the length of eq. 7's target sequence)
is taken as a number of attention heads; figure 5 applies channel attention to the temporal attention's
output with a softmax, and figure 3's squeeze-and-excitation uses a sigmoid on the map's own squeeze; we
squeeze with TAM's ``c`` and weight ``H`` with the sigmoid, so that the attended features stay a
sequence the fusion layer can join with ``H`` row by row (a generator needs one output per row).

The comparison set, in the same harness (Zhou's baselines), differs only in the blocks it keeps:

* ``lstm``: a one-directional LSTM, fusion over ``[H_t]`` alone, the same generation layer;
* ``tam-lstm``: LSTM and TAM, fusion over ``[H_t ; c]``;
* ``cam-lstm``: LSTM and CAM (the squeeze is the mean over the steps, as in squeeze-and-excitation),
  fusion over ``[H_t ; F_t]``;
* ``conv``: what a practitioner would pick, a DCGAN-style decoder: ``[attributes, z]`` as a 1x1 map, five
  transposed convolutions (4x4; 1x1 -> 4x4, then doubling to 64x64) with BatchNorm and ReLU, the last with
  tanh.

The recurrent decoders are not autoregressive (no row is fed back), so a face is one pass and exports to
one ONNX graph. :class:`Encoder`: four 4x4 stride-2 convolutions with LeakyReLU (64 -> 4 px), flattened,
joined with the attributes, one linear layer to the mean and log-variance of ``z``.
"""

from __future__ import annotations

import torch
from torch import nn

from .attributes import CODE_SIZE
from .config import ARCHS, AppearanceConfig  # noqa: F401 (ARCHS is this module's public name too)

#: Side of the faces in pixels; the rows are the recurrent decoders' time steps.
SIZE = 64
CHANNELS = 4


class TemporalAttention(nn.Module):
    """TAM, Zhou's eq. 7-9: ``V = H W_t + b`` (M scores per step), softmax over the steps, mean over the
    M rows: one weight per step ``delta``; returns ``(sum_t delta_t H_t, delta)``."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        self.score = nn.Linear(channels, heads)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.score(h), dim=1)  # (B, T, M): each of the M rows sums to 1 over T (eq. 8)
        delta = weights.mean(dim=2)  # (B, T), eq. 9
        return (delta.unsqueeze(-1) * h).sum(dim=1), delta


class ChannelAttention(nn.Module):
    """CAM, Zhou's figure 3: squeeze ``Z`` (given, else the mean over the steps), ``Q = sigmoid(W_2
    ReLU(W_1 Z))``, output ``Q * f + f``."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        self.excite = nn.Sequential(nn.Linear(channels, max(1, channels // reduction)), nn.ReLU(),
                                    nn.Linear(max(1, channels // reduction), channels), nn.Sigmoid())

    def forward(self, f: torch.Tensor, squeeze: torch.Tensor | None = None) -> torch.Tensor:
        q = self.excite(f.mean(dim=1) if squeeze is None else squeeze)
        return f * q.unsqueeze(1) + f


class RowDecoder(nn.Module):
    """The recurrent decoders (``bilstm-ma``, ``lstm``, ``tam-lstm``, ``cam-lstm``; module docstring)."""

    def __init__(self, config: AppearanceConfig):
        super().__init__()
        self.config = config
        arch = config.arch
        bidirectional = arch == "bilstm-ma"
        self.position = nn.Parameter(torch.randn(SIZE, config.position) * 0.1)
        self.lstm = nn.LSTM(CODE_SIZE + config.z_dim + config.position, config.hidden, batch_first=True,
                            bidirectional=bidirectional)
        channels = config.hidden * (2 if bidirectional else 1)
        self.tam = TemporalAttention(channels, config.heads) if arch in ("bilstm-ma", "tam-lstm") else None
        self.cam = ChannelAttention(channels, config.reduction) if arch in ("bilstm-ma", "cam-lstm") else None
        parts = 1 + (self.tam is not None) + (self.cam is not None)
        self.fusion = nn.Sequential(nn.Linear(parts * channels, config.fusion), nn.LeakyReLU(0.2))
        self.generation = nn.Sequential(nn.Linear(config.fusion, SIZE * CHANNELS), nn.Tanh())

    def forward(self, code: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        batch = code.shape[0]
        condition = torch.cat([code, z], dim=1).unsqueeze(1).expand(-1, SIZE, -1)
        steps = torch.cat([condition, self.position.unsqueeze(0).expand(batch, -1, -1)], dim=2)
        h, _ = self.lstm(steps)  # (B, T, C)
        parts = [h]
        context = None
        if self.tam is not None:
            context, _ = self.tam(h)
        if self.cam is not None:
            parts.append(self.cam(h, context))
        if context is not None:
            parts.append(context.unsqueeze(1).expand(-1, SIZE, -1))
        rows = self.generation(self.fusion(torch.cat(parts, dim=2)))  # (B, T, W * 4)
        return rows.reshape(batch, SIZE, SIZE, CHANNELS).permute(0, 3, 1, 2)


class ConvDecoder(nn.Module):
    """The DCGAN-style decoder (module docstring)."""

    def __init__(self, config: AppearanceConfig):
        super().__init__()
        self.config = config
        w = config.conv_width
        widths = (8 * w, 4 * w, 2 * w, w)
        layers: list[nn.Module] = [nn.ConvTranspose2d(CODE_SIZE + config.z_dim, widths[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(widths[0]), nn.ReLU()]
        for cin, cout in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], CHANNELS, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, code: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([code, z], dim=1)[:, :, None, None])


class Encoder(nn.Module):
    """``q(z | image, attributes)``: returns the mean and log-variance of ``z`` (module docstring)."""

    def __init__(self, config: AppearanceConfig):
        super().__init__()
        self.config = config
        w = config.encoder_width
        layers: list[nn.Module] = []
        for cin, cout in zip((CHANNELS, w, 2 * w, 4 * w), (w, 2 * w, 4 * w, 8 * w)):
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(8 * w * (SIZE // 16) ** 2 + CODE_SIZE, 2 * config.z_dim)

    def forward(self, image: torch.Tensor, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(torch.cat([self.net(image), code], dim=1)).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)


def decoder(config: AppearanceConfig) -> nn.Module:
    """The decoder of ``config.arch``."""
    return ConvDecoder(config) if config.arch == "conv" else RowDecoder(config)
