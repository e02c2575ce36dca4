"""Folding an eval-mode BatchNorm into the convolution or linear layer before it
(``torch.nn.utils.fusion``): ``bn(conv(x)) == fused_conv(x)`` with

    scale = bn.weight / sqrt(bn.running_var + bn.eps)
    fused weight = conv.weight * scale (per output channel)
    fused bias = (conv.bias - bn.running_mean) * scale + bn.bias
"""

from __future__ import annotations

import copy

from ..._creation import ones_like, zeros_like
from ..parameter import Parameter

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """Fuse a convolution module and a BatchNorm module into a single, new convolution module.

    Args:
        conv: a convolution module (``Conv{1,2,3}d`` or ``ConvTranspose{1,2,3}d``).
        bn: a BatchNorm module over the convolution's output channels.
        transpose: the convolution's weight is ``(in, out, ...)`` (a transposed
            convolution). Default: ``False``.

    Returns:
        A copy of ``conv`` whose weight and bias include the BatchNorm.

    .. note::
        Both ``conv`` and ``bn`` must be in eval mode, and ``bn`` must have its running
        buffers computed.
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight,
        fused_conv.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """Fuse convolution parameters and BatchNorm parameters into new convolution parameters.

    Args:
        conv_w: the convolution's weight. conv_b: its bias, or None.
        bn_rm: BatchNorm's running mean. bn_rv: its running variance. bn_eps: its epsilon.
        bn_w: BatchNorm's weight, or None (ones). bn_b: its bias, or None (zeros).
        transpose: ``conv_w`` is a transposed convolution's, output channels in dim 1.

    Returns:
        ``(weight, bias)``, Parameters in the dtypes of ``conv_w`` and ``conv_b`` (``conv_w``'s
        when there is no bias) with their ``requires_grad``.
    """
    conv_weight_dtype = conv_w.dtype
    conv_bias_dtype = conv_b.dtype if conv_b is not None else conv_weight_dtype
    if conv_b is None:
        conv_b = zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ones_like(bn_rm)
    if bn_b is None:
        bn_b = zeros_like(bn_rm)
    bn_var_rsqrt = (bn_rv + bn_eps).rsqrt()
    if transpose:
        shape = [1, -1] + [1] * (conv_w.dim() - 2)
    else:
        shape = [-1, 1] + [1] * (conv_w.dim() - 2)
    fused_conv_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(dtype=conv_weight_dtype)
    fused_conv_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(dtype=conv_bias_dtype)
    return (
        Parameter(fused_conv_w, conv_w.requires_grad),
        Parameter(fused_conv_b, conv_b.requires_grad),
    )


def fuse_linear_bn_eval(linear, bn):
    """Fuse a linear module and a BatchNorm module into a single, new linear module.

    ``bn.num_features`` must equal ``linear.out_features``, or be 1.

    Returns:
        A copy of ``linear`` whose weight and bias include the BatchNorm.

    .. note::
        Both ``linear`` and ``bn`` must be in eval mode, and ``bn`` must have its running
        buffers computed.
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_linear = copy.deepcopy(linear)
    # BatchNorm's channels must broadcast against the linear layer's outputs (its last dim)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
            f"got linear.out_features={linear.out_features} and "
            f"bn.num_features={bn.num_features}"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(
        fused_linear.weight,
        fused_linear.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
    )
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """Fuse linear parameters and BatchNorm parameters into new linear parameters.

    Args:
        linear_w: the linear weight. linear_b: its bias, or None.
        bn_rm: BatchNorm's running mean. bn_rv: its running variance. bn_eps: its epsilon.
        bn_w: BatchNorm's weight. bn_b: its bias.

    Returns:
        ``(weight, bias)``, Parameters in the dtypes of ``linear_w`` and ``linear_b``
        (``linear_w``'s when there is no bias) with their ``requires_grad``.
    """
    linear_weight_dtype = linear_w.dtype
    linear_bias_dtype = linear_b.dtype if linear_b is not None else linear_weight_dtype
    if linear_b is None:
        linear_b = zeros_like(bn_rm)
    bn_scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * bn_scale.unsqueeze(-1).to(dtype=linear_weight_dtype)
    fused_b = ((linear_b - bn_rm) * bn_scale + bn_b).to(dtype=linear_bias_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
