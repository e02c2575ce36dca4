"""SquimObjective: STOI, wide-band PESQ and SI-SDR predicted from the waveform alone (a
convolutional encoder, a dual-path RNN and one Transformer branch per metric)."""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F


def transform_wb_pesq_range(x):
    """The metric defined by ITU-T P.862 is often called 'PESQ score', which is defined for
    narrow-band signals and has a value range of [-0.5, 4.5] exactly. Here, we use the metric
    defined by ITU-T P.862.2, commonly known as 'wide-band PESQ' and will be referred to as
    "PESQ score".

    Args:
        x (float): Narrow-band PESQ score.

    Returns:
        (float): Wide-band PESQ score.
    """
    return 0.999 + (4.999 - 0.999) / (1 + math.exp(-1.3669 * x + 3.8224))


# P.862.2 uses a different input filter than P.862, and the lower bound of the raw score is
# not -0.5 anymore; 1.0 is a reasonable approximation of it.
PESQRange = (1.0, transform_wb_pesq_range(4.5))


class RangeSigmoid(nn.Module):
    """A sigmoid scaled to ``val_range``."""

    def __init__(self, val_range=(0.0, 1.0)):
        super().__init__()
        if not (isinstance(val_range, tuple) and len(val_range) == 2):
            raise AssertionError("val_range must be a tuple of two floats")
        self.val_range = val_range
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(x) * (self.val_range[1] - self.val_range[0]) + self.val_range[0]


class Encoder(nn.Module):
    """Encoder module that transform 1D waveform to 2D representations.

    Args:
        feat_dim (int, optional): The feature dimension after Encoder module. (Default: 512)
        win_len (int, optional): kernel size in the Conv1D layer. (Default: 32)
    """

    def __init__(self, feat_dim=512, win_len=32):
        super().__init__()
        self.conv1d = nn.Conv1d(1, feat_dim, win_len, stride=win_len // 2, bias=False)

    def forward(self, x):
        """Apply waveforms to convolutional layer and ReLU layer.

        Args:
            x (Tensor): Input waveforms. Tensor with dimensions `(batch, time)`.

        Returns:
            (Tensor): Feature Tensor with dimensions `(batch, channel, frame)`.
        """
        return F.relu(self.conv1d(x.unsqueeze(dim=1)))


class SingleRNN(nn.Module):
    """A bidirectional ``rnn_type`` ("RNN", "LSTM" or "GRU") layer projected back to
    ``input_size``, on ``(batch, seq, dim)``."""

    def __init__(self, rnn_type, input_size, hidden_size, dropout=0.0):
        super().__init__()
        self.rnn_type = rnn_type
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.rnn = getattr(nn, rnn_type)(
            input_size, hidden_size, 1, dropout=dropout, batch_first=True, bidirectional=True
        )
        self.proj = nn.Linear(hidden_size * 2, input_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.proj(out)


class DPRNN(nn.Module):
    """*Dual-path recurrent neural networks (DPRNN)* (Luo et al., 2020).

    Args:
        feat_dim (int, optional): The feature dimension after Encoder module. (Default: 64)
        hidden_dim (int, optional): Hidden dimension in the RNN layer of DPRNN.
            (Default: 128)
        num_blocks (int, optional): Number of DPRNN layers. (Default: 6)
        rnn_type (str, optional): Type of RNN in DPRNN. Valid options are ["RNN", "LSTM",
            "GRU"]. (Default: "LSTM")
        d_model (int, optional): The number of expected features in the input.
            (Default: 256)
        chunk_size (int, optional): Chunk size of input for DPRNN. (Default: 100)
        chunk_stride (int, optional): Stride of chunk input for DPRNN. (Default: 50)
    """

    def __init__(
        self,
        feat_dim=64,
        hidden_dim=128,
        num_blocks=6,
        rnn_type="LSTM",
        d_model=256,
        chunk_size=100,
        chunk_stride=50,
    ):
        super().__init__()
        self.num_blocks = num_blocks
        self.row_rnn = nn.ModuleList([])
        self.col_rnn = nn.ModuleList([])
        self.row_norm = nn.ModuleList([])
        self.col_norm = nn.ModuleList([])
        for _ in range(num_blocks):
            self.row_rnn.append(SingleRNN(rnn_type, feat_dim, hidden_dim))
            self.col_rnn.append(SingleRNN(rnn_type, feat_dim, hidden_dim))
            self.row_norm.append(nn.GroupNorm(1, feat_dim, eps=1e-8))
            self.col_norm.append(nn.GroupNorm(1, feat_dim, eps=1e-8))
        self.conv = nn.Sequential(nn.Conv2d(feat_dim, d_model, 1), nn.PReLU())
        self.chunk_size = chunk_size
        self.chunk_stride = chunk_stride

    def pad_chunk(self, x):
        """Pad ``(B, N, T)`` by ``chunk_stride`` on the left and up to a whole number of
        chunks plus ``chunk_stride`` on the right; returns it and the right padding added
        beyond ``chunk_stride``."""
        seq_len = x.shape[-1]
        rest = self.chunk_size - (self.chunk_stride + seq_len % self.chunk_size) % self.chunk_size
        out = F.pad(x, [self.chunk_stride, rest + self.chunk_stride])
        return out, rest

    def chunking(self, x):
        """``(B, N, T)`` as ``(B, N, chunk_size, num_chunks)`` half-overlapping chunks."""
        out, rest = self.pad_chunk(x)
        batch_size, feat_dim, _ = out.shape
        segments1 = out[:, :, : -self.chunk_stride].reshape(
            batch_size, feat_dim, -1, self.chunk_size
        )
        segments2 = out[:, :, self.chunk_stride :].reshape(
            batch_size, feat_dim, -1, self.chunk_size
        )
        out = ember.cat([segments1, segments2], dim=3)
        out = out.view(batch_size, feat_dim, -1, self.chunk_size).transpose(2, 3).contiguous()
        return out, rest

    def merging(self, x, rest):
        """The overlap-add inverse of ``chunking``."""
        batch_size, dim, _, _ = x.shape
        out = x.transpose(2, 3).reshape(batch_size, dim, -1, self.chunk_size * 2)
        out1 = out[:, :, :, : self.chunk_size].reshape(batch_size, dim, -1)
        out2 = out[:, :, :, self.chunk_size :].reshape(batch_size, dim, -1)
        out = out1[:, :, self.chunk_stride :] + out2[:, :, : -self.chunk_stride]
        if rest > 0:
            out = out[:, :, :-rest]
        return out.contiguous()

    def forward(self, x):
        x, rest = self.chunking(x)
        batch_size, _, dim1, dim2 = x.shape
        out = x
        for row_rnn, row_norm, col_rnn, col_norm in zip(
            self.row_rnn, self.row_norm, self.col_rnn, self.col_norm
        ):
            row_in = out.permute(0, 3, 2, 1).reshape(batch_size * dim2, dim1, -1)
            row_out = row_rnn(row_in)
            row_out = row_out.view(batch_size, dim2, dim1, -1).permute(0, 3, 2, 1)
            out = out + row_norm(row_out)
            col_in = out.permute(0, 2, 3, 1).reshape(batch_size * dim1, dim2, -1)
            col_out = col_rnn(col_in)
            col_out = col_out.view(batch_size, dim1, dim2, -1).permute(0, 3, 1, 2)
            out = out + col_norm(col_out)
        out = self.merging(self.conv(out), rest)
        return out.transpose(1, 2).contiguous()


class AutoPool(nn.Module):
    """Pooling over ``pool_dim`` weighted by a softmax of the input scaled by a learnt
    ``alpha``."""

    def __init__(self, pool_dim=1):
        super().__init__()
        self.pool_dim = pool_dim
        self.softmax = nn.Softmax(dim=pool_dim)
        self.register_parameter("alpha", nn.Parameter(ember.ones(1)))

    def forward(self, x):
        weight = self.softmax(ember.mul(x, self.alpha))
        return ember.sum(ember.mul(x, weight), dim=self.pool_dim)


class SquimObjective(nn.Module):
    """Speech Quality and Intelligibility Measures (SQUIM) model that predicts **objective**
    metric scores for speech enhancement (e.g., STOI, PESQ, and SI-SDR).

    Args:
        encoder (nn.Module): Encoder module to transform 1D waveform to 2D feature
            representation.
        dprnn (nn.Module): DPRNN module to model sequential feature.
        branches (nn.ModuleList): Transformer branches in which each branch estimate one
            objective metirc score.
    """

    def __init__(self, encoder, dprnn, branches):
        super().__init__()
        self.encoder = encoder
        self.dprnn = dprnn
        self.branches = branches

    def forward(self, x):
        """
        Args:
            x (Tensor): Input waveforms. Tensor with dimensions `(batch, time)`.

        Returns:
            List(Tensor): List of score Tenosrs. Each Tensor is with dimension `(batch,)`.
        """
        if x.ndim != 2:
            raise ValueError(f"The input must be a 2D Tensor. Found dimension {x.ndim}.")
        x = x / (ember.mean(x**2, dim=1, keepdim=True) ** 0.5 * 20)
        out = self.dprnn(self.encoder(x))
        return [branch(out).squeeze(dim=1) for branch in self.branches]


def _create_branch(d_model, nhead, metric):
    """Create branch module after DPRNN model for predicting metric score.

    Args:
        d_model (int): The number of expected features in the input.
        nhead (int): Number of heads in the multi-head attention model.
        metric (str): The metric name to predict.

    Returns:
        (nn.Module): Returned module to predict corresponding metric score.
    """
    layer1 = nn.TransformerEncoderLayer(d_model, nhead, d_model * 4, dropout=0.0, batch_first=True)
    layer2 = AutoPool()
    head = [nn.Linear(d_model, d_model), nn.PReLU(), nn.Linear(d_model, 1)]
    if metric == "stoi":
        head.append(RangeSigmoid())
    elif metric == "pesq":
        head.append(RangeSigmoid(val_range=PESQRange))
    return nn.Sequential(layer1, layer2, nn.Sequential(*head))


def squim_objective_model(
    feat_dim,
    win_len,
    d_model,
    nhead,
    hidden_dim,
    num_blocks,
    rnn_type,
    chunk_size,
    chunk_stride=None,
):
    """Build a custome :class:`SquimObjective` model.

    Args:
        feat_dim (int, optional): The feature dimension after Encoder module.
        win_len (int): Kernel size in the Encoder module.
        d_model (int): The number of expected features in the input.
        nhead (int): Number of heads in the multi-head attention model.
        hidden_dim (int): Hidden dimension in the RNN layer of DPRNN.
        num_blocks (int): Number of DPRNN layers.
        rnn_type (str): Type of RNN in DPRNN. Valid options are ["RNN", "LSTM", "GRU"].
        chunk_size (int): Chunk size of input for DPRNN.
        chunk_stride (int or None, optional): Stride of chunk input for DPRNN.
    """
    if chunk_stride is None:
        chunk_stride = chunk_size // 2
    encoder = Encoder(feat_dim, win_len)
    dprnn = DPRNN(feat_dim, hidden_dim, num_blocks, rnn_type, d_model, chunk_size, chunk_stride)
    branches = nn.ModuleList(
        [
            _create_branch(d_model, nhead, "stoi"),
            _create_branch(d_model, nhead, "pesq"),
            _create_branch(d_model, nhead, "sisdr"),
        ]
    )
    return SquimObjective(encoder, dprnn, branches)


def squim_objective_base():
    """Build :class:`SquimObjective` model with default arguments."""
    return squim_objective_model(
        feat_dim=256,
        win_len=64,
        d_model=256,
        nhead=4,
        hidden_dim=256,
        num_blocks=2,
        rnn_type="LSTM",
        chunk_size=71,
    )
