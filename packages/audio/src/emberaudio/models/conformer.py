"""Conformer, as torchaudio builds it."""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["Conformer"]


def _lengths_to_padding_mask(lengths):
    """``(batch, max(lengths))`` boolean mask, True at the padded frames."""
    batch_size = lengths.shape[0]
    max_length = int(lengths.max().item())
    positions = ember.arange(max_length, device=lengths.device, dtype=lengths.dtype)
    return positions.expand(batch_size, max_length) >= lengths.unsqueeze(1)


class _ConvolutionModule(nn.Module):
    """Conformer convolution module.

    Args:
        input_dim (int): input dimension.
        num_channels (int): number of depthwise convolution layer input channels.
        depthwise_kernel_size (int): kernel size of depthwise convolution layer.
        dropout (float, optional): dropout probability. (Default: 0.0)
        bias (bool, optional): indicates whether to add bias term to each convolution layer.
            (Default: ``False``)
        use_group_norm (bool, optional): use GroupNorm rather than BatchNorm.
            (Default: ``False``)
    """

    def __init__(
        self,
        input_dim,
        num_channels,
        depthwise_kernel_size,
        dropout=0.0,
        bias=False,
        use_group_norm=False,
    ):
        super().__init__()
        if (depthwise_kernel_size - 1) % 2 != 0:
            raise ValueError("depthwise_kernel_size must be odd to achieve 'SAME' padding.")
        self.layer_norm = nn.LayerNorm(input_dim)
        if use_group_norm:
            norm = nn.GroupNorm(num_groups=1, num_channels=num_channels)
        else:
            norm = nn.BatchNorm1d(num_channels)
        self.sequential = nn.Sequential(
            nn.Conv1d(input_dim, 2 * num_channels, 1, stride=1, padding=0, bias=bias),
            nn.GLU(dim=1),
            nn.Conv1d(
                num_channels,
                num_channels,
                depthwise_kernel_size,
                stride=1,
                padding=(depthwise_kernel_size - 1) // 2,
                groups=num_channels,
                bias=bias,
            ),
            norm,
            nn.SiLU(),
            nn.Conv1d(num_channels, input_dim, kernel_size=1, stride=1, padding=0, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(self, input):
        """
        Args:
            input (Tensor): with shape `(B, T, D)`.

        Returns:
            Tensor: output, with shape `(B, T, D)`.
        """
        x = self.layer_norm(input).transpose(1, 2)
        return self.sequential(x).transpose(1, 2)


class _FeedForwardModule(nn.Module):
    """Positionwise feed forward layer.

    Args:
        input_dim (int): input dimension.
        hidden_dim (int): hidden dimension.
        dropout (float, optional): dropout probability. (Default: 0.0)
    """

    def __init__(self, input_dim, hidden_dim, dropout=0.0):
        super().__init__()
        self.sequential = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, hidden_dim, bias=True),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, input_dim, bias=True),
            nn.Dropout(dropout),
        )

    def forward(self, input):
        """
        Args:
            input (Tensor): with shape `(*, D)`.

        Returns:
            Tensor: output, with shape `(*, D)`.
        """
        return self.sequential(input)


class ConformerLayer(nn.Module):
    """Conformer layer that constitutes Conformer.

    Args:
        input_dim (int): input dimension.
        ffn_dim (int): hidden layer dimension of feedforward network.
        num_attention_heads (int): number of attention heads.
        depthwise_conv_kernel_size (int): kernel size of depthwise convolution layer.
        dropout (float, optional): dropout probability. (Default: 0.0)
        use_group_norm (bool, optional): use ``GroupNorm`` rather than ``BatchNorm1d``
            in the convolution module. (Default: ``False``)
        convolution_first (bool, optional): apply the convolution module ahead of
            the attention module. (Default: ``False``)
    """

    def __init__(
        self,
        input_dim,
        ffn_dim,
        num_attention_heads,
        depthwise_conv_kernel_size,
        dropout=0.0,
        use_group_norm=False,
        convolution_first=False,
    ):
        super().__init__()
        self.ffn1 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.self_attn_layer_norm = nn.LayerNorm(input_dim)
        self.self_attn = nn.MultiheadAttention(input_dim, num_attention_heads, dropout=dropout)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.conv_module = _ConvolutionModule(
            input_dim=input_dim,
            num_channels=input_dim,
            depthwise_kernel_size=depthwise_conv_kernel_size,
            dropout=dropout,
            bias=True,
            use_group_norm=use_group_norm,
        )
        self.ffn2 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.final_layer_norm = nn.LayerNorm(input_dim)
        self.convolution_first = convolution_first

    def _apply_convolution(self, input):
        # the convolution module takes (B, T, D); the layer works in (T, B, D)
        return input + self.conv_module(input.transpose(0, 1)).transpose(0, 1)

    def forward(self, input, key_padding_mask):
        """
        Args:
            input (Tensor): input, with shape `(T, B, D)`.
            key_padding_mask (Tensor or None): key padding mask to use in self attention layer.

        Returns:
            Tensor: output, with shape `(T, B, D)`.
        """
        x = self.ffn1(input) * 0.5 + input
        if self.convolution_first:
            x = self._apply_convolution(x)

        residual = x
        x = self.self_attn_layer_norm(x)
        x, _ = self.self_attn(
            query=x, key=x, value=x, key_padding_mask=key_padding_mask, need_weights=False
        )
        x = self.self_attn_dropout(x) + residual

        if not self.convolution_first:
            x = self._apply_convolution(x)

        x = self.ffn2(x) * 0.5 + x
        return self.final_layer_norm(x)


class Conformer(nn.Module):
    """Conformer architecture introduced in *Conformer: Convolution-augmented Transformer for
    Speech Recognition* (Gulati et al., 2020).

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each Conformer layer.
        ffn_dim (int): hidden layer dimension of feedforward networks.
        num_layers (int): number of Conformer layers to instantiate.
        depthwise_conv_kernel_size (int): kernel size of each Conformer layer's depthwise
            convolution layer.
        dropout (float, optional): dropout probability. (Default: 0.0)
        use_group_norm (bool, optional): use ``GroupNorm`` rather than ``BatchNorm1d``
            in the convolution module. (Default: ``False``)
        convolution_first (bool, optional): apply the convolution module ahead of
            the attention module. (Default: ``False``)

    Example::

        >>> conformer = Conformer(
        ...     input_dim=80, num_heads=4, ffn_dim=128, num_layers=4, depthwise_conv_kernel_size=31
        ... )
        >>> lengths = ember.randint(1, 400, (10,))  # (batch,)
        >>> input = ember.rand(10, int(lengths.max()), 80)  # (batch, num_frames, input_dim)
        >>> output, output_lengths = conformer(input, lengths)
    """

    def __init__(
        self,
        input_dim,
        num_heads,
        ffn_dim,
        num_layers,
        depthwise_conv_kernel_size,
        dropout=0.0,
        use_group_norm=False,
        convolution_first=False,
    ):
        super().__init__()
        self.conformer_layers = nn.ModuleList(
            [
                ConformerLayer(
                    input_dim,
                    ffn_dim,
                    num_heads,
                    depthwise_conv_kernel_size,
                    dropout=dropout,
                    use_group_norm=use_group_norm,
                    convolution_first=convolution_first,
                )
                for _ in range(num_layers)
            ]
        )

    def forward(self, input, lengths):
        """
        Args:
            input (Tensor): with shape `(B, T, input_dim)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.

        Returns:
            (Tensor, Tensor): output frames, with shape `(B, T, input_dim)`, and output
            lengths, with shape `(B,)` and i-th element representing number of valid frames
            for i-th batch element in output frames.
        """
        encoder_padding_mask = _lengths_to_padding_mask(lengths)
        x = input.transpose(0, 1)
        for layer in self.conformer_layers:
            x = layer(x, encoder_padding_mask)
        return x.transpose(0, 1), lengths
