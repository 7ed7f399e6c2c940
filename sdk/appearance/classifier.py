"""The attribute classifier network and its training loop (torch; imported only to train).

Two independent copies of it exist in a trained model's life: the evaluation's judge
(:mod:`anisync.appearance.judge`, exported to ONNX and never seen by a generator) and, when
``anisync train appearance --attribute-weight`` is above 0, the generator's guide, a smaller one with
its own seed that the trainer fits on the same real renders first and then holds frozen while its
cross-entropy on sampled faces steers the decoder (:mod:`anisync.appearance.train`).

Network: four 4x4 stride-2 convolutions (64 -> 4 px) with BatchNorm and LeakyReLU, flattened, a linear
layer to the ``embedding`` (LeakyReLU), and one linear layer to the logits of every attribute's values
(``[batch, CODE_SIZE]``, laid out as the one-hot code; each attribute is its own softmax).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress
from .attributes import ATTRIBUTES, CODE_SIZE, OFFSETS
from .model import CHANNELS, SIZE

#: (offset, values) of each attribute's slice of the logits, in ATTRIBUTES order.
SPANS = tuple((OFFSETS[name], len(values)) for name, values in ATTRIBUTES.items())


class AttributeClassifier(nn.Module):
    """Logits of every attribute and the embedding of a ``[batch, 4, 64, 64]`` face in [-1, 1]."""

    def __init__(self, width: int = 16, embedding: int = 128):
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout in zip((CHANNELS, width, 2 * width, 4 * width), (width, 2 * width, 4 * width, 8 * width)):
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.LeakyReLU(0.2)]
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(8 * width * (SIZE // 16) ** 2, embedding),
                                   nn.LeakyReLU(0.2))
        self.head = nn.Linear(embedding, CODE_SIZE)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(image)
        return self.head(features), features


def attribute_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The sum over the five attributes of the mean cross-entropy of ``logits`` against value indices
    ``labels`` ``[batch, 5]``."""
    return sum(F.cross_entropy(logits[:, o:o + n], labels[:, k]) for k, (o, n) in enumerate(SPANS))


def fit_classifier(network: AttributeClassifier, images: torch.Tensor, labels: torch.Tensor, steps: int,
                   batch: int, seed: int, desc: str, device: str = "cpu") -> AttributeClassifier:
    """Train ``network`` (on ``device``) on uint8 faces ``images`` ``[N, 4, 64, 64]`` with value indices
    ``labels`` ``[N, 5]``: Adam 1e-3, ``steps`` random batches drawn from ``seed``, under a progress bar
    named ``desc``; returns it in eval mode."""
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    network.train()
    for _ in progress(range(steps), desc=desc):
        rows = torch.randint(0, len(images), (batch,), generator=generator)
        logits, _ = network(images[rows].to(device).float() / 127.5 - 1.0)
        loss = attribute_loss(logits, labels[rows].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return network.eval()
