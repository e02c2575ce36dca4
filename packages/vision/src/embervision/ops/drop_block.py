"""DropBlock: dropout of contiguous square regions of a feature map."""

from __future__ import annotations

import ember
import ember.nn.functional as F
from ember import nn

__all__ = ["drop_block2d", "DropBlock2d"]


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """Implements DropBlock2d from `"DropBlock: A regularization method for convolutional
    networks" <https://arxiv.org/abs/1810.12890>`.

    Args:
        input (Tensor[N, C, H, W]): The input tensor or 4-dimensions with the first one being
            its batch i.e. a batch with ``N`` rows.
        p (float): Probability of an element to be dropped.
        block_size (int): Size of the block to drop.
        inplace (bool): If set to ``True``, will do this operation in-place. Default:
            ``False``.
        eps (float): A value added to the denominator for numerical stability. Default: 1e-6.
        training (bool): apply dropblock if is ``True``. Default: ``True``.

    Returns:
        Tensor[N, C, H, W]: The randomly zeroed tensor after dropblock.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != 4:
        raise ValueError(f"input should be 4 dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    n, c, h, w = input.shape
    block_size = min(block_size, w, h)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    # the Bernoulli rate of block centres that drops a fraction p of the map
    gamma = (p * h * w) / ((block_size**2) * ((h - block_size + 1) * (w - block_size + 1)))
    noise = ember.empty(
        (n, c, h - block_size + 1, w - block_size + 1), dtype=input.dtype, device=input.device
    )
    noise.bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * 4, value=0)
    noise = F.max_pool2d(
        noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=block_size // 2
    )
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


class DropBlock2d(nn.Module):
    """See :func:`drop_block2d`."""

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        """
        Args:
            input (Tensor): Input feature map on which some areas will be randomly dropped.

        Returns:
            Tensor: The tensor after DropBlock layer.
        """
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
            f"inplace={self.inplace})"
        )
