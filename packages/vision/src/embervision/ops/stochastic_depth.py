"""Stochastic depth (``torchvision.ops.stochastic_depth``): randomly drop residual branches."""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["stochastic_depth", "StochasticDepth"]


def stochastic_depth(input, p, mode, training=True):
    """The Stochastic Depth from `"Deep Networks with Stochastic Depth"
    <https://arxiv.org/abs/1603.09382>`_, used to randomly drop the residual branches of
    residual architectures.

    The kept values are divided by ``1 - p``, so the expectation is unchanged.

    Args:
        input (Tensor[N, ...]): a tensor of any number of dimensions, the first being the
            batch: a batch of ``N`` rows.
        p (float): probability of the input to be zeroed.
        mode (str): ``"batch"`` randomly zeroes the entire input, ``"row"`` zeroes randomly
            selected rows of the batch.
        training (bool): apply stochastic depth if True. Default: True.

    Returns:
        Tensor[N, ...]: the randomly zeroed tensor.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input

    survival_rate = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.ndim - 1)
    else:
        size = [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device)
    noise = noise.bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """See :func:`stochastic_depth`; active in training mode only.

    Args:
        p (float): probability of the input to be zeroed.
        mode (str): ``"batch"`` or ``"row"``.
    """

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"
