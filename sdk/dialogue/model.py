"""The classifier's trainable head (torch; imported only to train and export). It sits on the frozen
sentence encoder's token features:

* **utterance**: the tokens (LayerNorm) pooled two ways, by learned attention (which words carry the
  feeling) and by their mean, then a linear layer and GELU: the utterance's vector ``u``;
* **context**: ``u`` asks (scaled dot-product attention) the vectors of at most ``context`` earlier
  utterances of the dialogue, each told its distance back and whether the same speaker said it, plus a
  learned empty slot, so a dialogue's first line attends to something;
* **classifier**: ``u`` beside the context's answer, a hidden layer, seven logits.

Several heads trained from different seeds ship together as one graph (:class:`HeadEnsemble`): their
probabilities are averaged, and a line's vector is their vectors side by side.

Earlier utterances' vectors are the head's own ``u``: at run time each is computed once, when it is said,
and kept (:class:`~anisync.dialogue.classifier.EmotionClassifier`). Only the past counts, as in a game.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..emotion import EMOTIONS
from .encoder import WIDTH


@dataclass(frozen=True)
class HeadConfig:
    """The head's sizes: ``context`` earlier utterances it reads (0: none), ``hidden`` features."""

    context: int = 8
    hidden: int = 256
    dropout: float = 0.3

    def as_dict(self) -> dict:
        return asdict(self)


class DialogueHead(nn.Module):
    """The module docstring's network. :meth:`forward` is the exported graph (one utterance and its
    context slots); :meth:`dialogues` computes the same for every utterance of padded dialogues at once."""

    def __init__(self, config: HeadConfig = HeadConfig()):
        super().__init__()
        self.config = config
        hidden = config.hidden
        self.norm = nn.LayerNorm(WIDTH)
        self.score = nn.Sequential(nn.Linear(WIDTH, 128), nn.Tanh(), nn.Linear(128, 1))
        self.utterance = nn.Sequential(nn.Linear(2 * WIDTH, hidden), nn.GELU(), nn.Dropout(config.dropout))
        if config.context:
            self.recency = nn.Embedding(config.context + 1, hidden)
            self.same_speaker = nn.Embedding(2, hidden)
            self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
            self.empty_key = nn.Parameter(torch.zeros(hidden))
            self.empty_value = nn.Parameter(torch.zeros(hidden))
            # Context slots in the exported graph run oldest to newest: slot s is K - s turns back.
            self.register_buffer("slot_distance", torch.arange(config.context, 0, -1), persistent=False)
        inputs = hidden * (2 if config.context else 1)
        self.classify = nn.Sequential(nn.Linear(inputs, hidden), nn.GELU(), nn.Dropout(config.dropout),
                                      nn.Linear(hidden, len(EMOTIONS)))

    def vectors(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Utterance vectors ``[n, hidden]`` of token features ``[n, T, WIDTH]`` with mask ``[n, T]``."""
        h = self.norm(tokens)
        scores = self.score(h).squeeze(-1).masked_fill(mask == 0, -1e4)
        attended = (torch.softmax(scores, -1).unsqueeze(-1) * h).sum(1)
        mean = (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.utterance(torch.cat([attended, mean], -1))

    def _attend(self, u, context, distance, same, context_mask):
        """The context's answer ``[n, hidden]`` to each ``u``: context ``[n, K, hidden]``, distance and same
        (0/1) as integer ``[n, K]``, context_mask ``[n, K]`` (1 on filled slots)."""
        n, hidden = u.shape[0], self.config.hidden
        slots = context + self.recency(distance) + self.same_speaker(same)
        keys = torch.cat([self.empty_key.expand(n, 1, hidden), self.key(slots)], 1)
        values = torch.cat([self.empty_value.expand(n, 1, hidden), self.value(slots)], 1)
        filled = torch.cat([torch.ones_like(context_mask[:, :1]), context_mask], 1)
        scores = (keys @ self.query(u).unsqueeze(-1)).squeeze(-1) / math.sqrt(hidden)
        weights = torch.softmax(scores.masked_fill(filled == 0, -1e4), -1)
        return (weights.unsqueeze(-1) * values).sum(1)

    def _logits(self, u, answer):
        return self.classify(u if answer is None else torch.cat([u, answer], -1))

    def forward(self, tokens, mask, context, same_speaker, context_mask):
        """The exported graph: logits ``[1, 7]`` and the utterance's vector ``[1, hidden]`` (to pass as
        context later) for one utterance's tokens, and its ``K`` context slots, oldest first."""
        u = self.vectors(tokens, mask)
        answer = None
        if self.config.context:
            distance = self.slot_distance.unsqueeze(0).expand(u.shape[0], -1)
            answer = self._attend(u, context, distance, same_speaker.long(), context_mask)
        return self._logits(u, answer), u

    def dialogues(self, tokens, mask, speakers):
        """Logits ``[B, L, 7]`` of every utterance of ``B`` dialogues padded to ``L`` turns: tokens
        ``[B, L, T, WIDTH]``, mask ``[B, L, T]``, speakers ``[B, L]`` (ids). A turn attends only to earlier
        ones, so padding turns after a dialogue's end change nothing."""
        b, turns = speakers.shape
        u = self.vectors(tokens.flatten(0, 1), mask.flatten(0, 1)).view(b, turns, -1)
        if not self.config.context:
            return self._logits(u, None)
        k = self.config.context
        turn = torch.arange(turns, device=u.device)
        source = turn.view(1, -1, 1) - k + torch.arange(k, device=u.device).view(1, 1, -1)  # [1, L, K]
        filled = (source >= 0).expand(b, -1, -1).float()
        source = source.clamp(min=0).expand(b, -1, -1)
        context = torch.gather(u.unsqueeze(1).expand(-1, turns, -1, -1), 2,
                               source.unsqueeze(-1).expand(-1, -1, -1, u.shape[-1]))
        same = (torch.gather(speakers.unsqueeze(1).expand(-1, turns, -1), 2, source) == speakers.unsqueeze(-1))
        distance = self.slot_distance.view(1, 1, -1).expand(b, turns, -1)
        answer = self._attend(u.flatten(0, 1), context.flatten(0, 1), distance.flatten(0, 1),
                              same.long().flatten(0, 1), filled.flatten(0, 1))
        return self._logits(u, answer.view(b, turns, -1))


class HeadEnsemble(nn.Module):
    """Heads of one configuration trained from different seeds, as one graph with :class:`DialogueHead`'s
    inputs and outputs: ``logits`` are the log of the heads' mean probabilities, a ``vector`` is the
    heads' vectors concatenated (and a ``context`` slot holds such vectors)."""

    def __init__(self, heads: list[DialogueHead]):
        super().__init__()
        self.heads = nn.ModuleList(heads)
        self.config = HeadConfig(heads[0].config.context, heads[0].config.hidden * len(heads), heads[0].config.dropout)

    def forward(self, tokens, mask, context, same_speaker, context_mask):
        outputs = [head(tokens, mask, part, same_speaker, context_mask)
                   for head, part in zip(self.heads, context.chunk(len(self.heads), -1))]
        return self._mean([logits for logits, _ in outputs]), torch.cat([vector for _, vector in outputs], -1)

    def dialogues(self, tokens, mask, speakers):
        return self._mean([head.dialogues(tokens, mask, speakers) for head in self.heads])

    @staticmethod
    def _mean(logits: list[torch.Tensor]) -> torch.Tensor:
        return torch.log(torch.stack([torch.softmax(x, -1) for x in logits]).mean(0))

