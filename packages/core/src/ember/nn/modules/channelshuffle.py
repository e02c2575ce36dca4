"""``ChannelShuffle``: interleave groups of channels (ShuffleNet)."""

from __future__ import annotations

from ..functional import channel_shuffle
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Divide the channels of ``(N, C, *)`` into ``groups`` groups and interleave them; see
    ``nn.functional.channel_shuffle``."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
