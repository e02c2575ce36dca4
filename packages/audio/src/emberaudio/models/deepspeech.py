"""DeepSpeech, as torchaudio builds it."""

from __future__ import annotations

from ember import nn
from ember.nn import functional as F

__all__ = ["DeepSpeech"]


class FullyConnected(nn.Module):
    """Linear layer, ReLU clipped at ``relu_max_clip``, then dropout.

    Args:
        n_feature: Number of input features
        n_hidden: Internal hidden unit size.
    """

    def __init__(self, n_feature, n_hidden, dropout, relu_max_clip=20):
        super().__init__()
        self.fc = nn.Linear(n_feature, n_hidden, bias=True)
        self.relu_max_clip = relu_max_clip
        self.dropout = dropout

    def forward(self, x):
        x = F.relu(self.fc(x))
        x = F.hardtanh(x, 0, self.relu_max_clip)
        if self.dropout:
            x = F.dropout(x, self.dropout, self.training)
        return x


class DeepSpeech(nn.Module):
    """DeepSpeech architecture introduced in *Deep Speech: Scaling up end-to-end speech
    recognition* (Hannun et al., 2014).

    Args:
        n_feature: Number of input features
        n_hidden: Internal hidden unit size.
        n_class: Number of output classes
    """

    def __init__(self, n_feature, n_hidden=2048, n_class=40, dropout=0.0):
        super().__init__()
        self.n_hidden = n_hidden
        self.fc1 = FullyConnected(n_feature, n_hidden, dropout)
        self.fc2 = FullyConnected(n_hidden, n_hidden, dropout)
        self.fc3 = FullyConnected(n_hidden, n_hidden, dropout)
        self.bi_rnn = nn.RNN(
            n_hidden, n_hidden, num_layers=1, nonlinearity="relu", bidirectional=True
        )
        self.fc4 = FullyConnected(n_hidden, n_hidden, dropout)
        self.out = nn.Linear(n_hidden, n_class)

    def forward(self, x):
        """
        Args:
            x (Tensor): Tensor of dimension (batch, channel, time, feature).

        Returns:
            Tensor: Predictor tensor of dimension (batch, time, class).
        """
        x = self.fc3(self.fc2(self.fc1(x)))  # N x C x T x H
        x = x.squeeze(1).transpose(0, 1)  # T x N x H
        x, _ = self.bi_rnn(x)
        # the fifth (non-recurrent) layer takes both the forward and backward units as inputs
        x = x[:, :, : self.n_hidden] + x[:, :, self.n_hidden :]
        x = self.out(self.fc4(x))  # T x N x n_class
        return F.log_softmax(x.permute(1, 0, 2), dim=2)  # N x T x n_class
