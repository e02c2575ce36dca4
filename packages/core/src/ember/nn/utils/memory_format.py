"""``convert_conv2d_weight_memory_format`` and ``convert_conv3d_weight_memory_format``
(``torch.nn.utils.memory_format``)."""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """Convert the ``memory_format`` of the weights of the ``Conv2d`` and ``ConvTranspose2d``
    layers in ``module`` (and ``module`` itself) to ``memory_format``.

    torch uses this to give convolutions NHWC (``channels_last``) weights, for faster
    kernels. Ember's tensors have one layout, row-major (contiguous), which ``memory_format``
    arguments cannot change (``Tensor.to`` and ``Module.to`` accept and ignore them): the
    module is returned unchanged.

    Args:
        module: a module, its children searched recursively.
        memory_format: the wanted format (accepted and ignored).

    Returns:
        ``module``.
    """
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Convert the ``memory_format`` of the weights of the ``Conv3d`` and ``ConvTranspose3d``
    layers in ``module`` to ``memory_format``; as
    :func:`convert_conv2d_weight_memory_format`, Ember returns ``module`` unchanged."""
    return module
