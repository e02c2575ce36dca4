"""Layers torchvision's models are assembled from (``torchvision.ops.misc``): convolution (2-d or
3-d) + normalisation + activation, squeeze-and-excitation, the MLP, a permutation and the frozen
batch norm. Their submodule names are torchvision's, so the models' state-dict keys are too."""

from __future__ import annotations

import warnings

import ember
from ember import nn

__all__ = [
    "FrozenBatchNorm2d",
    "ConvNormActivation",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "SqueezeExcitation",
    "MLP",
    "Permute",
]


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d where the batch statistics and the affine parameters are fixed.

    ``weight``, ``bias``, ``running_mean`` and ``running_var`` are buffers, not parameters, so
    no optimiser updates them and the forward always uses the running statistics. A
    ``num_batches_tracked`` entry in a loaded state dict (from a BatchNorm2d) is ignored.

    Args:
        num_features (int): number of features ``C`` from an expected input of size
            ``(N, C, H, W)``.
        eps (float): a value added to the denominator for numerical stability. Default: 1e-5.
    """

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, x):
        # y = (x - mean) * w / sqrt(var + eps) + b, folded into one scale and one shift.
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        bias = b - rm * scale
        return x * scale + bias

    def __repr__(self):
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"


def _same_padding(kernel_size, dilation):
    """``(kernel_size - 1) // 2 * dilation`` per spatial dimension (int or tuple)."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size,) * len(dilation)
    if isinstance(dilation, int):
        dilation = (dilation,) * len(kernel_size)
    return tuple((k - 1) // 2 * d for k, d in zip(kernel_size, dilation))


class ConvNormActivation(nn.Sequential):
    """Convolution, normalisation and activation as a Sequential: the convolution (key ``0``,
    built by ``conv_layer``), the normalisation layer (``1``) and the activation (``2``); a
    layer given as None is left out and the next takes its index. Use
    :class:`Conv2dNormActivation` or :class:`Conv3dNormActivation` (used directly, it warns, as
    in torchvision).

    Args:
        in_channels (int): number of channels in the input.
        out_channels (int): number of channels produced by the block.
        kernel_size (int or tuple): size of the convolving kernel. Default: 3.
        stride (int or tuple): stride of the convolution. Default: 1.
        padding (int, tuple or str, optional): padding added to all sides of the input.
            Default: None, ``(kernel_size - 1) // 2 * dilation``.
        groups (int): number of blocked connections from input to output channels. Default: 1.
        norm_layer (callable, optional): norm layer stacked on top of the convolution; None
            leaves it out. Default: ``nn.BatchNorm2d``.
        activation_layer (callable, optional): activation stacked on top of the normalisation
            layer (if any), otherwise on the convolution; None leaves it out.
            Default: ``nn.ReLU``.
        dilation (int or tuple): spacing between kernel elements. Default: 1.
        inplace (bool, optional): passed as ``inplace`` to the activation layer; None passes
            nothing. Default: True.
        bias (bool, optional): whether the convolution has a bias. Default: None, a bias only
            when ``norm_layer`` is None.
        conv_layer (callable): the convolution's class. Default: ``nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=None,
        groups=1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace=True,
        bias=None,
        conv_layer=nn.Conv2d,
    ):
        if padding is None:
            padding = _same_padding(kernel_size, dilation)
        if bias is None:
            bias = norm_layer is None
        layers = [
            conv_layer(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
            )
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels
        if self.__class__ == ConvNormActivation:
            warnings.warn(
                "Don't use ConvNormActivation directly, please use Conv2dNormActivation and "
                "Conv3dNormActivation instead.",
                stacklevel=2,
            )


class Conv2dNormActivation(ConvNormActivation):
    """Configurable block used for Convolution2d-Normalization-Activation blocks: a
    :class:`ConvNormActivation` with ``nn.Conv2d`` (arguments as there, without
    ``conv_layer``; ``norm_layer`` defaults to ``nn.BatchNorm2d``)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=None,
        groups=1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace=True,
        bias=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            nn.Conv2d,
        )


class Conv3dNormActivation(ConvNormActivation):
    """Configurable block used for Convolution3d-Normalization-Activation blocks: a
    :class:`ConvNormActivation` with ``nn.Conv3d`` for ``(N, C, D, H, W)`` video input
    (arguments as there, without ``conv_layer``; ``norm_layer`` defaults to
    ``nn.BatchNorm3d``)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=None,
        groups=1,
        norm_layer=nn.BatchNorm3d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace=True,
        bias=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            nn.Conv3d,
        )


class SqueezeExcitation(nn.Module):
    """The Squeeze-and-Excitation block from https://arxiv.org/abs/1709.01507 (Fig. 1).

    ``input * scale_activation(fc2(activation(fc1(avgpool(input)))))``: ``activation`` and
    ``scale_activation`` are ``delta`` and ``sigma`` of eq. 3; ``fc1`` and ``fc2`` are 1×1
    convolutions with bias.

    Args:
        input_channels (int): number of channels in the input image.
        squeeze_channels (int): number of squeeze channels.
        activation (callable): ``delta`` activation. Default: ``nn.ReLU``.
        scale_activation (callable): ``sigma`` activation. Default: ``nn.Sigmoid``.
    """

    def __init__(
        self,
        input_channels,
        squeeze_channels,
        activation=nn.ReLU,
        scale_activation=nn.Sigmoid,
    ):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def forward(self, input):
        return self._scale(input) * input


class MLP(nn.Sequential):
    """The multi-layer perceptron: for each hidden width but the last, Linear, [norm],
    activation, Dropout; then a last Linear and Dropout.

    Args:
        in_channels (int): number of channels of the input.
        hidden_channels (list[int]): the hidden channel dimensions; the last is the output's.
        norm_layer (callable, optional): norm layer stacked on top of each hidden linear layer;
            None leaves it out. Default: None.
        activation_layer (callable, optional): activation stacked on top of the normalisation
            layer (if any), otherwise on the linear layer. Default: ``nn.ReLU``.
        inplace (bool, optional): passed as ``inplace`` to the activation and Dropout layers;
            None keeps their defaults. Default: None.
        bias (bool): whether the linear layers have a bias. Default: True.
        dropout (float): the probability of the dropout layers. Default: 0.0.
    """

    def __init__(
        self,
        in_channels,
        hidden_channels,
        norm_layer=None,
        activation_layer=nn.ReLU,
        inplace=None,
        bias=True,
        dropout=0.0,
    ):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """Returns a view of the input with its dimensions permuted.

    Args:
        dims (list[int]): the desired ordering of dimensions.
    """

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return ember.permute(x, self.dims)
