"""WaveRNN and its building blocks, as torchaudio builds them (after fatchord/WaveRNN)."""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F

__all__ = ["ResBlock", "MelResNet", "Stretch2d", "UpsampleNetwork", "WaveRNN"]


class ResBlock(nn.Module):
    """ResNet block based on *Efficient Neural Audio Synthesis* (Kalchbrenner et al., 2018).

    Args:
        n_freq: the number of bins in a spectrogram. (Default: ``128``)
    """

    def __init__(self, n_freq=128):
        super().__init__()
        self.resblock_model = nn.Sequential(
            nn.Conv1d(in_channels=n_freq, out_channels=n_freq, kernel_size=1, bias=False),
            nn.BatchNorm1d(n_freq),
            nn.ReLU(inplace=True),
            nn.Conv1d(in_channels=n_freq, out_channels=n_freq, kernel_size=1, bias=False),
            nn.BatchNorm1d(n_freq),
        )

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): the input sequence to the ResBlock layer
                (n_batch, n_freq, n_time).

        Returns:
            Tensor shape: (n_batch, n_freq, n_time)
        """
        return self.resblock_model(specgram) + specgram


class MelResNet(nn.Module):
    """MelResNet layer uses a stack of ResBlocks on spectrogram.

    Args:
        n_res_block: the number of ResBlock in stack. (Default: ``10``)
        n_freq: the number of bins in a spectrogram. (Default: ``128``)
        n_hidden: the number of hidden dimensions of resblock. (Default: ``128``)
        n_output: the number of output dimensions of melresnet. (Default: ``128``)
        kernel_size: the number of kernel size in the first Conv1d layer. (Default: ``5``)
    """

    def __init__(self, n_res_block=10, n_freq=128, n_hidden=128, n_output=128, kernel_size=5):
        super().__init__()
        res_blocks = [ResBlock(n_hidden) for _ in range(n_res_block)]
        self.melresnet_model = nn.Sequential(
            nn.Conv1d(
                in_channels=n_freq, out_channels=n_hidden, kernel_size=kernel_size, bias=False
            ),
            nn.BatchNorm1d(n_hidden),
            nn.ReLU(inplace=True),
            *res_blocks,
            nn.Conv1d(in_channels=n_hidden, out_channels=n_output, kernel_size=1),
        )

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): the input sequence to the MelResNet layer
                (n_batch, n_freq, n_time).

        Returns:
            Tensor shape: (n_batch, n_output, n_time - kernel_size + 1)
        """
        return self.melresnet_model(specgram)


class Stretch2d(nn.Module):
    """Upscale the frequency and time dimensions of a spectrogram.

    Args:
        time_scale: the scale factor in time dimension
        freq_scale: the scale factor in frequency dimension
    """

    def __init__(self, time_scale, freq_scale):
        super().__init__()
        self.freq_scale = freq_scale
        self.time_scale = time_scale

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): the input sequence to the Stretch2d layer (..., n_freq, n_time).

        Returns:
            Tensor shape: (..., n_freq * freq_scale, n_time * time_scale)
        """
        stretched = specgram.repeat_interleave(self.freq_scale, -2)
        return stretched.repeat_interleave(self.time_scale, -1)


class UpsampleNetwork(nn.Module):
    """Upscale the dimensions of a spectrogram.

    Args:
        upsample_scales: the list of upsample scales.
        n_res_block: the number of ResBlock in stack. (Default: ``10``)
        n_freq: the number of bins in a spectrogram. (Default: ``128``)
        n_hidden: the number of hidden dimensions of resblock. (Default: ``128``)
        n_output: the number of output dimensions of melresnet. (Default: ``128``)
        kernel_size: the number of kernel size in the first Conv1d layer. (Default: ``5``)
    """

    def __init__(
        self, upsample_scales, n_res_block=10, n_freq=128, n_hidden=128, n_output=128, kernel_size=5
    ):
        super().__init__()
        self.total_scale = math.prod(upsample_scales)
        self.indent = (kernel_size - 1) // 2 * self.total_scale
        self.resnet = MelResNet(n_res_block, n_freq, n_hidden, n_output, kernel_size)
        self.resnet_stretch = Stretch2d(self.total_scale, 1)

        up_layers = []
        for scale in upsample_scales:
            stretch = Stretch2d(scale, 1)
            conv = nn.Conv2d(
                in_channels=1,
                out_channels=1,
                kernel_size=(1, scale * 2 + 1),
                padding=(0, scale),
                bias=False,
            )
            nn.init.constant_(conv.weight, 1.0 / (scale * 2 + 1))
            up_layers.append(stretch)
            up_layers.append(conv)
        self.upsample_layers = nn.Sequential(*up_layers)

    def forward(self, specgram):
        """
        Args:
            specgram (Tensor): the input sequence to the UpsampleNetwork layer
                (n_batch, n_freq, n_time)

        Returns:
            Tensor shape: (n_batch, n_freq, (n_time - kernel_size + 1) * total_scale),
            (n_batch, n_output, (n_time - kernel_size + 1) * total_scale), where total_scale
            is the product of all elements in upsample_scales.
        """
        resnet_output = self.resnet_stretch(self.resnet(specgram).unsqueeze(1)).squeeze(1)
        upsampling_output = self.upsample_layers(specgram.unsqueeze(1)).squeeze(1)
        upsampling_output = upsampling_output[:, :, self.indent : -self.indent]
        return upsampling_output, resnet_output


class WaveRNN(nn.Module):
    """WaveRNN model from *Efficient Neural Audio Synthesis* (Kalchbrenner et al., 2018),
    based on the implementation from `fatchord/WaveRNN <https://github.com/fatchord/WaveRNN>`_.
    The input channels of waveform and spectrogram have to be 1. The product of
    `upsample_scales` must equal `hop_length`.

    Args:
        upsample_scales: the list of upsample scales.
        n_classes: the number of output classes.
        hop_length: the number of samples between the starts of consecutive frames.
        n_res_block: the number of ResBlock in stack. (Default: ``10``)
        n_rnn: the dimension of RNN layer. (Default: ``512``)
        n_fc: the dimension of fully connected layer. (Default: ``512``)
        kernel_size: the number of kernel size in the first Conv1d layer. (Default: ``5``)
        n_freq: the number of bins in a spectrogram. (Default: ``128``)
        n_hidden: the number of hidden dimensions of resblock. (Default: ``128``)
        n_output: the number of output dimensions of melresnet. (Default: ``128``)

    Example::

        >>> wavernn = WaveRNN(upsample_scales=[5, 5, 8], n_classes=512, hop_length=200)
        >>> waveform, sample_rate = emberaudio.load(file)
        >>> # waveform shape: (n_batch, n_channel, (n_time - kernel_size + 1) * hop_length)
        >>> specgram = MelSpectrogram(sample_rate)(waveform)  # (n_batch, n_channel, n_freq, n_time)
        >>> output = wavernn(waveform, specgram)
        >>> # output shape: (n_batch, n_channel, (n_time - kernel_size + 1) * hop_length, n_classes)
    """

    def __init__(
        self,
        upsample_scales,
        n_classes,
        hop_length,
        n_res_block=10,
        n_rnn=512,
        n_fc=512,
        kernel_size=5,
        n_freq=128,
        n_hidden=128,
        n_output=128,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self._pad = (kernel_size - 1 if kernel_size % 2 else kernel_size) // 2
        self.n_rnn = n_rnn
        self.n_aux = n_output // 4
        self.hop_length = hop_length
        self.n_classes = n_classes
        self.n_bits = int(math.log2(self.n_classes))

        total_scale = math.prod(upsample_scales)
        if total_scale != self.hop_length:
            raise ValueError(
                f"Expected: total_scale == hop_length, but found {total_scale} != {hop_length}"
            )
        self.upsample = UpsampleNetwork(
            upsample_scales, n_res_block, n_freq, n_hidden, n_output, kernel_size
        )
        self.fc = nn.Linear(n_freq + self.n_aux + 1, n_rnn)
        self.rnn1 = nn.GRU(n_rnn, n_rnn, batch_first=True)
        self.rnn2 = nn.GRU(n_rnn + self.n_aux, n_rnn, batch_first=True)
        self.relu1 = nn.ReLU(inplace=True)
        self.relu2 = nn.ReLU(inplace=True)
        self.fc1 = nn.Linear(n_rnn + self.n_aux, n_fc)
        self.fc2 = nn.Linear(n_fc + self.n_aux, n_fc)
        self.fc3 = nn.Linear(n_fc, self.n_classes)

    def forward(self, waveform, specgram):
        """Pass the input through the WaveRNN model.

        Args:
            waveform: the input waveform to the WaveRNN layer
                (n_batch, 1, (n_time - kernel_size + 1) * hop_length)
            specgram: the input spectrogram to the WaveRNN layer (n_batch, 1, n_freq, n_time)

        Returns:
            Tensor: shape (n_batch, 1, (n_time - kernel_size + 1) * hop_length, n_classes)
        """
        if waveform.size(1) != 1:
            raise ValueError("Require the input channel of waveform is 1")
        if specgram.size(1) != 1:
            raise ValueError("Require the input channel of specgram is 1")
        waveform, specgram = waveform.squeeze(1), specgram.squeeze(1)
        batch_size = waveform.size(0)
        h1 = ember.zeros(1, batch_size, self.n_rnn, dtype=waveform.dtype, device=waveform.device)
        h2 = ember.zeros(1, batch_size, self.n_rnn, dtype=waveform.dtype, device=waveform.device)

        specgram, aux = self.upsample(specgram)
        specgram = specgram.transpose(1, 2)
        aux = aux.transpose(1, 2)
        a1, a2, a3, a4 = aux[:, :, : 4 * self.n_aux].split(self.n_aux, dim=-1)

        x = self.fc(ember.cat([waveform.unsqueeze(-1), specgram, a1], dim=-1))
        res = x
        x, _ = self.rnn1(x, h1)
        x = x + res
        res = x
        x, _ = self.rnn2(ember.cat([x, a2], dim=-1), h2)
        x = x + res
        x = self.relu1(self.fc1(ember.cat([x, a3], dim=-1)))
        x = self.relu2(self.fc2(ember.cat([x, a4], dim=-1)))
        return self.fc3(x).unsqueeze(1)

    def infer(self, specgram, lengths=None):
        """Inference method of WaveRNN.

        This function currently only supports multinomial sampling, which assumes the network
        is trained on cross entropy loss.

        Args:
            specgram (Tensor): Batch of spectrograms. Shape: `(n_batch, n_freq, n_time)`.
            lengths (Tensor or None, optional): Indicates the valid length of each audio in the
                batch. Shape: `(batch, )`. When the ``specgram`` contains spectrograms with
                different durations, by providing ``lengths`` argument, the model will compute
                the corresponding valid output lengths. If ``None``, it is assumed that all the
                audio in ``waveforms`` have valid length. Default: ``None``.

        Returns:
            (Tensor, Optional[Tensor]): The inferred waveform of size `(n_batch, 1, n_time)`
            (1 stands for a single channel) and, if ``lengths`` argument was provided, a Tensor
            of shape `(batch, )` giving the valid length in time axis of the output Tensor.
        """
        device = specgram.device
        dtype = specgram.dtype
        specgram = F.pad(specgram, (self._pad, self._pad))
        specgram, aux = self.upsample(specgram)
        if lengths is not None:
            lengths = lengths * self.upsample.total_scale

        output = []
        b_size, _, seq_len = specgram.size()
        h1 = ember.zeros((1, b_size, self.n_rnn), device=device, dtype=dtype)
        h2 = ember.zeros((1, b_size, self.n_rnn), device=device, dtype=dtype)
        x = ember.zeros((b_size, 1), device=device, dtype=dtype)
        aux_split = [aux[:, self.n_aux * i : self.n_aux * (i + 1), :] for i in range(4)]

        for i in range(seq_len):
            m_t = specgram[:, :, i]
            a1_t, a2_t, a3_t, a4_t = [a[:, :, i] for a in aux_split]

            x = self.fc(ember.cat([x, m_t, a1_t], dim=1))
            _, h1 = self.rnn1(x.unsqueeze(1), h1)
            x = x + h1[0]
            _, h2 = self.rnn2(ember.cat([x, a2_t], dim=1).unsqueeze(1), h2)
            x = x + h2[0]
            x = F.relu(self.fc1(ember.cat([x, a3_t], dim=1)))
            x = F.relu(self.fc2(ember.cat([x, a4_t], dim=1)))
            posterior = F.softmax(self.fc3(x), dim=1)
            x = ember.multinomial(posterior, 1).float()
            # the class index, mapped back to a sample in [-1, 1]
            x = 2 * x / (2**self.n_bits - 1.0) - 1.0
            output.append(x)

        return ember.stack(output).permute(1, 2, 0), lengths
