"""Tacotron2, as torchaudio builds it (after NVIDIA's Deep Learning Examples): a
convolutional and bidirectional-LSTM text encoder, an autoregressive decoder with
location-sensitive attention, and a convolutional postnet.

The decoder runs one mel frame at a time (each step needs the previous frame); every step
works on the whole batch at once."""

from __future__ import annotations

import warnings

import ember
from ember import nn
from ember.nn import functional as F

from .conformer import _lengths_to_padding_mask

__all__ = ["Tacotron2"]


def _get_linear_layer(in_dim, out_dim, bias=True, w_init_gain="linear"):
    """Linear layer with xavier uniform initialization.

    Args:
        in_dim (int): Size of each input sample.
        out_dim (int): Size of each output sample.
        bias (bool, optional): If set to ``False``, the layer will not learn an additive bias.
            (Default: ``True``)
        w_init_gain (str, optional): Parameter passed to ``nn.init.calculate_gain`` for setting
            the gain parameter of ``xavier_uniform_``. (Default: ``linear``)

    Returns:
        (nn.Linear): The corresponding linear layer.
    """
    linear = nn.Linear(in_dim, out_dim, bias=bias)
    nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain(w_init_gain))
    return linear


def _get_conv1d_layer(
    in_channels,
    out_channels,
    kernel_size=1,
    stride=1,
    padding=None,
    dilation=1,
    bias=True,
    w_init_gain="linear",
):
    """1D convolution with xavier uniform initialization.

    Args:
        in_channels (int): Number of channels in the input image.
        out_channels (int): Number of channels produced by the convolution.
        kernel_size (int, optional): Size of the convolving kernel. (Default: ``1``)
        stride (int, optional): Stride of the convolution. (Default: ``1``)
        padding (str, int or tuple, optional): Padding added to both sides of the input.
            (Default: dilation * (kernel_size - 1) / 2)
        dilation (int, optional): Spacing between kernel elements. (Default: ``1``)
        bias (bool, optional): If ``True``, adds a learnable bias. (Default: ``True``)
        w_init_gain (str, optional): Parameter passed to ``nn.init.calculate_gain`` for setting
            the gain parameter of ``xavier_uniform_``. (Default: ``linear``)

    Returns:
        (nn.Conv1d): The corresponding Conv1D layer.
    """
    if padding is None:
        if kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd")
        padding = int(dilation * (kernel_size - 1) / 2)

    conv1d = nn.Conv1d(
        in_channels,
        out_channels,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        bias=bias,
    )
    nn.init.xavier_uniform_(conv1d.weight, gain=nn.init.calculate_gain(w_init_gain))
    return conv1d


class _LocationLayer(nn.Module):
    """Location layer used in the Attention model.

    Args:
        attention_n_filter (int): Number of filters for attention model.
        attention_kernel_size (int): Kernel size for attention model.
        attention_hidden_dim (int): Dimension of attention hidden representation.
    """

    def __init__(self, attention_n_filter, attention_kernel_size, attention_hidden_dim):
        super().__init__()
        padding = int((attention_kernel_size - 1) / 2)
        self.location_conv = _get_conv1d_layer(
            2,
            attention_n_filter,
            kernel_size=attention_kernel_size,
            padding=padding,
            bias=False,
            stride=1,
            dilation=1,
        )
        self.location_dense = _get_linear_layer(
            attention_n_filter, attention_hidden_dim, bias=False, w_init_gain="tanh"
        )

    def forward(self, attention_weights_cat):
        """
        Args:
            attention_weights_cat (Tensor): Cumulative and previous attention weights
                with shape (n_batch, 2, max of ``text_lengths``).

        Returns:
            processed_attention (Tensor): Cumulative and previous attention weights
                with shape (n_batch, max of ``text_lengths``, ``attention_hidden_dim``).
        """
        processed_attention = self.location_conv(attention_weights_cat).transpose(1, 2)
        return self.location_dense(processed_attention)


class _Attention(nn.Module):
    """Locally sensitive attention model.

    Args:
        attention_rnn_dim (int): Number of hidden units for RNN.
        encoder_embedding_dim (int): Number of embedding dimensions in the Encoder.
        attention_hidden_dim (int): Dimension of attention hidden representation.
        attention_location_n_filter (int): Number of filters for Attention model.
        attention_location_kernel_size (int): Kernel size for Attention model.
    """

    def __init__(
        self,
        attention_rnn_dim,
        encoder_embedding_dim,
        attention_hidden_dim,
        attention_location_n_filter,
        attention_location_kernel_size,
    ):
        super().__init__()
        self.query_layer = _get_linear_layer(
            attention_rnn_dim, attention_hidden_dim, bias=False, w_init_gain="tanh"
        )
        self.memory_layer = _get_linear_layer(
            encoder_embedding_dim, attention_hidden_dim, bias=False, w_init_gain="tanh"
        )
        self.v = _get_linear_layer(attention_hidden_dim, 1, bias=False)
        self.location_layer = _LocationLayer(
            attention_location_n_filter,
            attention_location_kernel_size,
            attention_hidden_dim,
        )
        self.score_mask_value = -float("inf")

    def _get_alignment_energies(self, query, processed_memory, attention_weights_cat):
        """Get the alignment vector.

        Args:
            query (Tensor): Decoder output with shape (n_batch, n_mels * n_frames_per_step).
            processed_memory (Tensor): Processed Encoder outputs
                with shape (n_batch, max of ``text_lengths``, attention_hidden_dim).
            attention_weights_cat (Tensor): Cumulative and previous attention weights
                with shape (n_batch, 2, max of ``text_lengths``).

        Returns:
            alignment (Tensor): attention weights, it is a tensor with shape
            (batch, max of ``text_lengths``).
        """
        processed_query = self.query_layer(query.unsqueeze(1))
        processed_attention_weights = self.location_layer(attention_weights_cat)
        energies = self.v(
            ember.tanh(processed_query + processed_attention_weights + processed_memory)
        )
        return energies.squeeze(2)

    def forward(
        self, attention_hidden_state, memory, processed_memory, attention_weights_cat, mask
    ):
        """Pass the input through the Attention model.

        Args:
            attention_hidden_state (Tensor): Attention rnn last output with shape
                (n_batch, ``attention_rnn_dim``).
            memory (Tensor): Encoder outputs with shape
                (n_batch, max of ``text_lengths``, ``encoder_embedding_dim``).
            processed_memory (Tensor): Processed Encoder outputs
                with shape (n_batch, max of ``text_lengths``, ``attention_hidden_dim``).
            attention_weights_cat (Tensor): Previous and cumulative attention weights
                with shape (n_batch, 2, max of ``text_lengths``).
            mask (Tensor): Binary mask for padded data with shape
                (n_batch, max of ``text_lengths``).

        Returns:
            attention_context (Tensor): Context vector with shape
            (n_batch, ``encoder_embedding_dim``).
            attention_weights (Tensor): Attention weights with shape
            (n_batch, max of ``text_lengths``).
        """
        alignment = self._get_alignment_energies(
            attention_hidden_state, processed_memory, attention_weights_cat
        )
        alignment = alignment.masked_fill(mask, self.score_mask_value)
        attention_weights = F.softmax(alignment, dim=1)
        attention_context = ember.bmm(attention_weights.unsqueeze(1), memory).squeeze(1)
        return attention_context, attention_weights


class _Prenet(nn.Module):
    """Prenet Module. It is consists of ``len(output_size)`` linear layers.

    Its dropout is always on, in evaluation mode too (as in Tacotron 2).

    Args:
        in_dim (int): The size of each input sample.
        output_sizes (list): The output dimension of each linear layers.
    """

    def __init__(self, in_dim, out_sizes):
        super().__init__()
        in_sizes = [in_dim] + out_sizes[:-1]
        self.layers = nn.ModuleList(
            [
                _get_linear_layer(in_size, out_size, bias=False)
                for (in_size, out_size) in zip(in_sizes, out_sizes)
            ]
        )

    def forward(self, x):
        """
        Args:
            x (Tensor): The input sequence to Prenet with shape (n_batch, in_dim).

        Return:
            x (Tensor): Tensor with shape (n_batch, sizes[-1])
        """
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=0.5, training=True)
        return x


class _Postnet(nn.Module):
    """Postnet Module.

    Args:
        n_mels (int): Number of mel bins.
        postnet_embedding_dim (int): Postnet embedding dimension.
        postnet_kernel_size (int): Postnet kernel size.
        postnet_n_convolution (int): Number of postnet convolutions.
    """

    def __init__(self, n_mels, postnet_embedding_dim, postnet_kernel_size, postnet_n_convolution):
        super().__init__()
        self.convolutions = nn.ModuleList()
        for i in range(postnet_n_convolution):
            last = i == postnet_n_convolution - 1
            in_channels = n_mels if i == 0 else postnet_embedding_dim
            out_channels = n_mels if last else postnet_embedding_dim
            self.convolutions.append(
                nn.Sequential(
                    _get_conv1d_layer(
                        in_channels,
                        out_channels,
                        kernel_size=postnet_kernel_size,
                        stride=1,
                        padding=int((postnet_kernel_size - 1) / 2),
                        dilation=1,
                        w_init_gain="linear" if last else "tanh",
                    ),
                    nn.BatchNorm1d(out_channels),
                )
            )
        self.n_convs = len(self.convolutions)

    def forward(self, x):
        """
        Args:
            x (Tensor): The input sequence with shape
                (n_batch, ``n_mels``, max of ``mel_specgram_lengths``).

        Return:
            x (Tensor): Tensor with shape (n_batch, ``n_mels``, max of ``mel_specgram_lengths``).
        """
        for i, conv in enumerate(self.convolutions):
            x = conv(x)
            if i < self.n_convs - 1:
                x = ember.tanh(x)
            x = F.dropout(x, 0.5, training=self.training)
        return x


class _Encoder(nn.Module):
    """Encoder Module.

    Args:
        encoder_embedding_dim (int): Number of embedding dimensions in the encoder.
        encoder_n_convolution (int): Number of convolution layers in the encoder.
        encoder_kernel_size (int): The kernel size in the encoder.
    """

    def __init__(self, encoder_embedding_dim, encoder_n_convolution, encoder_kernel_size):
        super().__init__()
        self.convolutions = nn.ModuleList()
        for _ in range(encoder_n_convolution):
            conv_layer = nn.Sequential(
                _get_conv1d_layer(
                    encoder_embedding_dim,
                    encoder_embedding_dim,
                    kernel_size=encoder_kernel_size,
                    stride=1,
                    padding=int((encoder_kernel_size - 1) / 2),
                    dilation=1,
                    w_init_gain="relu",
                ),
                nn.BatchNorm1d(encoder_embedding_dim),
            )
            self.convolutions.append(conv_layer)

        self.lstm = nn.LSTM(
            encoder_embedding_dim,
            int(encoder_embedding_dim / 2),
            1,
            batch_first=True,
            bidirectional=True,
        )

    def forward(self, x, input_lengths):
        """
        Args:
            x (Tensor): The input sequences with shape (n_batch, encoder_embedding_dim, n_seq).
            input_lengths (Tensor): The length of each input sequence with shape (n_batch, ),
                in decreasing order.

        Return:
            x (Tensor): A tensor with shape (n_batch, max of ``input_lengths``,
            encoder_embedding_dim).
        """
        for conv in self.convolutions:
            x = F.dropout(F.relu(conv(x)), 0.5, self.training)
        x = x.transpose(1, 2)
        x = nn.utils.rnn.pack_padded_sequence(x, input_lengths.cpu(), batch_first=True)
        outputs, _ = self.lstm(x)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
        return outputs


class _Decoder(nn.Module):
    """Decoder with Attention model.

    Args:
        n_mels (int): number of mel bins
        n_frames_per_step (int): number of frames processed per step, only 1 is supported
        encoder_embedding_dim (int): the number of embedding dimensions in the encoder.
        decoder_rnn_dim (int): number of units in decoder LSTM
        decoder_max_step (int): maximum number of output mel spectrograms
        decoder_dropout (float): dropout probability for decoder LSTM
        decoder_early_stopping (bool): stop decoding when all samples are finished
        attention_rnn_dim (int): number of units in attention LSTM
        attention_hidden_dim (int): dimension of attention hidden representation
        attention_location_n_filter (int): number of filters for attention model
        attention_location_kernel_size (int): kernel size for attention model
        attention_dropout (float): dropout probability for attention LSTM
        prenet_dim (int): number of ReLU units in prenet layers
        gate_threshold (float): probability threshold for stop token
    """

    def __init__(
        self,
        n_mels,
        n_frames_per_step,
        encoder_embedding_dim,
        decoder_rnn_dim,
        decoder_max_step,
        decoder_dropout,
        decoder_early_stopping,
        attention_rnn_dim,
        attention_hidden_dim,
        attention_location_n_filter,
        attention_location_kernel_size,
        attention_dropout,
        prenet_dim,
        gate_threshold,
    ):
        super().__init__()
        self.n_mels = n_mels
        self.n_frames_per_step = n_frames_per_step
        self.encoder_embedding_dim = encoder_embedding_dim
        self.attention_rnn_dim = attention_rnn_dim
        self.decoder_rnn_dim = decoder_rnn_dim
        self.prenet_dim = prenet_dim
        self.decoder_max_step = decoder_max_step
        self.gate_threshold = gate_threshold
        self.attention_dropout = attention_dropout
        self.decoder_dropout = decoder_dropout
        self.decoder_early_stopping = decoder_early_stopping

        self.prenet = _Prenet(n_mels * n_frames_per_step, [prenet_dim, prenet_dim])
        self.attention_rnn = nn.LSTMCell(prenet_dim + encoder_embedding_dim, attention_rnn_dim)
        self.attention_layer = _Attention(
            attention_rnn_dim,
            encoder_embedding_dim,
            attention_hidden_dim,
            attention_location_n_filter,
            attention_location_kernel_size,
        )
        self.decoder_rnn = nn.LSTMCell(
            attention_rnn_dim + encoder_embedding_dim, decoder_rnn_dim, True
        )
        self.linear_projection = _get_linear_layer(
            decoder_rnn_dim + encoder_embedding_dim, n_mels * n_frames_per_step
        )
        self.gate_layer = _get_linear_layer(
            decoder_rnn_dim + encoder_embedding_dim, 1, bias=True, w_init_gain="sigmoid"
        )

    def _get_initial_frame(self, memory):
        """All-zero frames ``(n_batch, n_mels * n_frames_per_step)``, the first decoder input."""
        n_batch = memory.size(0)
        return ember.zeros(
            n_batch, self.n_mels * self.n_frames_per_step, dtype=memory.dtype, device=memory.device
        )

    def _initialize_decoder_states(self, memory):
        """The zero states of the attention and decoder LSTMs, zero attention weights,
        cumulative weights and context, and the processed memory.

        Args:
            memory (Tensor): Encoder outputs with shape
                (n_batch, max of ``text_lengths``, ``encoder_embedding_dim``).

        Returns:
            (attention_hidden, attention_cell, decoder_hidden, decoder_cell,
            attention_weights, attention_weights_cum, attention_context, processed_memory)
        """
        n_batch, max_time = memory.shape[:2]
        options = dict(dtype=memory.dtype, device=memory.device)
        return (
            ember.zeros(n_batch, self.attention_rnn_dim, **options),
            ember.zeros(n_batch, self.attention_rnn_dim, **options),
            ember.zeros(n_batch, self.decoder_rnn_dim, **options),
            ember.zeros(n_batch, self.decoder_rnn_dim, **options),
            ember.zeros(n_batch, max_time, **options),
            ember.zeros(n_batch, max_time, **options),
            ember.zeros(n_batch, self.encoder_embedding_dim, **options),
            self.attention_layer.memory_layer(memory),
        )

    def _parse_decoder_inputs(self, decoder_inputs):
        """Teacher-forcing mel-specs ``(n_batch, n_mels, max of mel_specgram_lengths)`` as
        ``(max of mel_specgram_lengths, n_batch, n_mels)``."""
        decoder_inputs = decoder_inputs.transpose(1, 2)
        decoder_inputs = decoder_inputs.reshape(
            decoder_inputs.size(0), int(decoder_inputs.size(1) / self.n_frames_per_step), -1
        )
        return decoder_inputs.transpose(0, 1)

    def _parse_decoder_outputs(self, mel_specgram, gate_outputs, alignments):
        """Time-major decoder outputs as batch-major ones.

        Args:
            mel_specgram (Tensor): mel spectrogram with shape
                (max of ``mel_specgram_lengths``, n_batch, ``n_mels``)
            gate_outputs (Tensor): predicted stop token with shape
                (max of ``mel_specgram_lengths``, n_batch)
            alignments (Tensor): sequence of attention weights from the decoder
                with shape (max of ``mel_specgram_lengths``, n_batch, max of ``text_lengths``)

        Returns:
            mel_specgram (Tensor): shape (n_batch, ``n_mels``, max of ``mel_specgram_lengths``)
            gate_outputs (Tensor): shape (n_batch, max of ``mel_specgram_lengths``)
            alignments (Tensor): shape
            (n_batch, max of ``mel_specgram_lengths``, max of ``text_lengths``)
        """
        alignments = alignments.transpose(0, 1).contiguous()
        gate_outputs = gate_outputs.transpose(0, 1).contiguous()
        mel_specgram = mel_specgram.transpose(0, 1).contiguous()
        # decouple frames per step
        mel_specgram = mel_specgram.view(mel_specgram.shape[0], -1, self.n_mels)
        return mel_specgram.transpose(1, 2), gate_outputs, alignments

    def decode(
        self,
        decoder_input,
        attention_hidden,
        attention_cell,
        decoder_hidden,
        decoder_cell,
        attention_weights,
        attention_weights_cum,
        attention_context,
        memory,
        processed_memory,
        mask,
    ):
        """Decoder step using stored states, attention and memory.

        Args:
            decoder_input (Tensor): Output of the Prenet with shape (n_batch, ``prenet_dim``).
            attention_hidden, attention_cell (Tensor): States of the attention LSTM,
                (n_batch, ``attention_rnn_dim``).
            decoder_hidden, decoder_cell (Tensor): States of the decoder LSTM,
                (n_batch, ``decoder_rnn_dim``).
            attention_weights (Tensor): Attention weights with shape
                (n_batch, max of ``text_lengths``).
            attention_weights_cum (Tensor): Cumulated attention weights with shape
                (n_batch, max of ``text_lengths``).
            attention_context (Tensor): Context vector with shape
                (n_batch, ``encoder_embedding_dim``).
            memory (Tensor): Encoder output with shape
                (n_batch, max of ``text_lengths``, ``encoder_embedding_dim``).
            processed_memory (Tensor): Processed Encoder outputs
                with shape (n_batch, max of ``text_lengths``, ``attention_hidden_dim``).
            mask (Tensor): Binary mask for padded data with shape
                (n_batch, max of ``text_lengths``).

        Returns:
            (decoder_output, gate_prediction, attention_hidden, attention_cell, decoder_hidden,
            decoder_cell, attention_weights, attention_weights_cum, attention_context): the
            predicted mel frame (n_batch, ``n_mels``), the stop token logit (n_batch, 1), and
            the updated states.
        """
        cell_input = ember.cat((decoder_input, attention_context), -1)
        attention_hidden, attention_cell = self.attention_rnn(
            cell_input, (attention_hidden, attention_cell)
        )
        attention_hidden = F.dropout(attention_hidden, self.attention_dropout, self.training)

        attention_weights_cat = ember.stack((attention_weights, attention_weights_cum), dim=1)
        attention_context, attention_weights = self.attention_layer(
            attention_hidden, memory, processed_memory, attention_weights_cat, mask
        )
        attention_weights_cum = attention_weights_cum + attention_weights

        decoder_input = ember.cat((attention_hidden, attention_context), -1)
        decoder_hidden, decoder_cell = self.decoder_rnn(
            decoder_input, (decoder_hidden, decoder_cell)
        )
        decoder_hidden = F.dropout(decoder_hidden, self.decoder_dropout, self.training)

        decoder_hidden_attention_context = ember.cat((decoder_hidden, attention_context), dim=1)
        decoder_output = self.linear_projection(decoder_hidden_attention_context)
        gate_prediction = self.gate_layer(decoder_hidden_attention_context)
        return (
            decoder_output,
            gate_prediction,
            attention_hidden,
            attention_cell,
            decoder_hidden,
            decoder_cell,
            attention_weights,
            attention_weights_cum,
            attention_context,
        )

    def forward(self, memory, mel_specgram_truth, memory_lengths):
        """Decoder forward pass for training (teacher forcing: step ``t`` reads frame
        ``t - 1`` of ``mel_specgram_truth``).

        Args:
            memory (Tensor): Encoder outputs
                with shape (n_batch, max of ``text_lengths``, ``encoder_embedding_dim``).
            mel_specgram_truth (Tensor): Decoder ground-truth mel-specs for teacher forcing
                with shape (n_batch, ``n_mels``, max of ``mel_specgram_lengths``).
            memory_lengths (Tensor): Encoder output lengths for attention masking
                (the same as ``text_lengths``) with shape (n_batch, ).

        Returns:
            mel_specgram (Tensor): Predicted mel spectrogram
                with shape (n_batch, ``n_mels``, max of ``mel_specgram_lengths``).
            gate_outputs (Tensor): Predicted stop token for each timestep
                with shape (n_batch,  max of ``mel_specgram_lengths``).
            alignments (Tensor): Sequence of attention weights from the decoder
                with shape (n_batch,  max of ``mel_specgram_lengths``, max of ``text_lengths``).
        """
        decoder_input = self._get_initial_frame(memory).unsqueeze(0)
        decoder_inputs = self._parse_decoder_inputs(mel_specgram_truth)
        decoder_inputs = ember.cat((decoder_input, decoder_inputs), dim=0)
        decoder_inputs = self.prenet(decoder_inputs)

        mask = _lengths_to_padding_mask(memory_lengths)
        *states, processed_memory = self._initialize_decoder_states(memory)

        mel_outputs, gate_outputs, alignments = [], [], []
        for decoder_input in decoder_inputs[:-1].unbind(0):
            mel_output, gate_output, *states = self.decode(
                decoder_input, *states, memory, processed_memory, mask
            )
            mel_outputs.append(mel_output)
            gate_outputs.append(gate_output.squeeze(1))
            alignments.append(states[4])  # the attention weights

        return self._parse_decoder_outputs(
            ember.stack(mel_outputs), ember.stack(gate_outputs), ember.stack(alignments)
        )

    def infer(self, memory, memory_lengths):
        """Decoder inference: each step reads the frame the previous one predicted, until the
        stop token of every item passes ``gate_threshold`` (with ``decoder_early_stopping``)
        or ``decoder_max_step`` steps.

        Args:
            memory (Tensor): Encoder outputs
                with shape (n_batch, max of ``text_lengths``, ``encoder_embedding_dim``).
            memory_lengths (Tensor): Encoder output lengths for attention masking
                (the same as ``text_lengths``) with shape (n_batch, ).

        Returns:
            mel_specgram (Tensor): Predicted mel spectrogram
                with shape (n_batch, ``n_mels``, max of ``mel_specgram_lengths``).
            mel_specgram_lengths (Tensor): the length of the predicted mel spectrogram
                (n_batch, ))
            gate_outputs (Tensor): Predicted stop token for each timestep
                with shape (n_batch,  max of ``mel_specgram_lengths``).
            alignments (Tensor): Sequence of attention weights from the decoder, as torchaudio
                returns them: shape (max of ``text_lengths``,
                max of ``mel_specgram_lengths`` * n_batch).
        """
        batch_size, device = memory.size(0), memory.device
        decoder_input = self._get_initial_frame(memory)
        mask = _lengths_to_padding_mask(memory_lengths)
        *states, processed_memory = self._initialize_decoder_states(memory)

        mel_specgram_lengths = ember.zeros([batch_size], dtype=ember.int32, device=device)
        finished = ember.zeros([batch_size], dtype=ember.bool, device=device)
        mel_specgrams, gate_outputs, alignments = [], [], []
        for _ in range(self.decoder_max_step):
            decoder_input = self.prenet(decoder_input)
            mel_specgram, gate_output, *states = self.decode(
                decoder_input, *states, memory, processed_memory, mask
            )
            mel_specgrams.append(mel_specgram.unsqueeze(0))
            gate_outputs.append(gate_output.transpose(0, 1))
            alignments.append(states[4])  # the attention weights
            mel_specgram_lengths = mel_specgram_lengths + (~finished).int()

            finished = finished | (ember.sigmoid(gate_output.squeeze(1)) > self.gate_threshold)
            if self.decoder_early_stopping and ember.all(finished):
                break
            decoder_input = mel_specgram

        if len(mel_specgrams) == self.decoder_max_step:
            warnings.warn(
                "Reached max decoder steps. The generated spectrogram might not cover "
                "the whole transcript.",
                stacklevel=2,
            )

        mel_specgrams, gate_outputs, alignments = self._parse_decoder_outputs(
            ember.cat(mel_specgrams, dim=0),
            ember.cat(gate_outputs, dim=0),
            ember.cat(alignments, dim=0),
        )
        return mel_specgrams, mel_specgram_lengths, gate_outputs, alignments


class Tacotron2(nn.Module):
    """Tacotron2 model from *Natural TTS Synthesis by Conditioning WaveNet on Mel Spectrogram
    Predictions* (Shen et al., 2018) based on the implementation from Nvidia Deep Learning
    Examples.

    Args:
        mask_padding (bool, optional): Use mask padding (Default: ``False``).
        n_mels (int, optional): Number of mel bins (Default: ``80``).
        n_symbol (int, optional): Number of symbols for the input text (Default: ``148``).
        n_frames_per_step (int, optional): Number of frames processed per step, only 1 is
            supported (Default: ``1``).
        symbol_embedding_dim (int, optional): Input embedding dimension (Default: ``512``).
        encoder_embedding_dim (int, optional): Encoder embedding dimension
            (Default: ``512``).
        encoder_n_convolution (int, optional): Number of encoder convolutions
            (Default: ``3``).
        encoder_kernel_size (int, optional): Encoder kernel size (Default: ``5``).
        decoder_rnn_dim (int, optional): Number of units in decoder LSTM (Default: ``1024``).
        decoder_max_step (int, optional): Maximum number of output mel spectrograms
            (Default: ``2000``).
        decoder_dropout (float, optional): Dropout probability for decoder LSTM
            (Default: ``0.1``).
        decoder_early_stopping (bool, optional): Continue decoding after all samples are
            finished (Default: ``True``).
        attention_rnn_dim (int, optional): Number of units in attention LSTM
            (Default: ``1024``).
        attention_hidden_dim (int, optional): Dimension of attention hidden representation
            (Default: ``128``).
        attention_location_n_filter (int, optional): Number of filters for attention model
            (Default: ``32``).
        attention_location_kernel_size (int, optional): Kernel size for attention model
            (Default: ``31``).
        attention_dropout (float, optional): Dropout probability for attention LSTM
            (Default: ``0.1``).
        prenet_dim (int, optional): Number of ReLU units in prenet layers (Default: ``256``).
        postnet_n_convolution (int, optional): Number of postnet convolutions
            (Default: ``5``).
        postnet_kernel_size (int, optional): Postnet kernel size (Default: ``5``).
        postnet_embedding_dim (int, optional): Postnet embedding dimension
            (Default: ``512``).
        gate_threshold (float, optional): Probability threshold for stop token
            (Default: ``0.5``).
    """

    def __init__(
        self,
        mask_padding=False,
        n_mels=80,
        n_symbol=148,
        n_frames_per_step=1,
        symbol_embedding_dim=512,
        encoder_embedding_dim=512,
        encoder_n_convolution=3,
        encoder_kernel_size=5,
        decoder_rnn_dim=1024,
        decoder_max_step=2000,
        decoder_dropout=0.1,
        decoder_early_stopping=True,
        attention_rnn_dim=1024,
        attention_hidden_dim=128,
        attention_location_n_filter=32,
        attention_location_kernel_size=31,
        attention_dropout=0.1,
        prenet_dim=256,
        postnet_n_convolution=5,
        postnet_kernel_size=5,
        postnet_embedding_dim=512,
        gate_threshold=0.5,
    ):
        super().__init__()
        self.mask_padding = mask_padding
        self.n_mels = n_mels
        self.n_frames_per_step = n_frames_per_step
        self.embedding = nn.Embedding(n_symbol, symbol_embedding_dim)
        nn.init.xavier_uniform_(self.embedding.weight)
        self.encoder = _Encoder(encoder_embedding_dim, encoder_n_convolution, encoder_kernel_size)
        self.decoder = _Decoder(
            n_mels,
            n_frames_per_step,
            encoder_embedding_dim,
            decoder_rnn_dim,
            decoder_max_step,
            decoder_dropout,
            decoder_early_stopping,
            attention_rnn_dim,
            attention_hidden_dim,
            attention_location_n_filter,
            attention_location_kernel_size,
            attention_dropout,
            prenet_dim,
            gate_threshold,
        )
        self.postnet = _Postnet(
            n_mels, postnet_embedding_dim, postnet_kernel_size, postnet_n_convolution
        )

    def forward(self, tokens, token_lengths, mel_specgram, mel_specgram_lengths):
        """Pass the input through the Tacotron2 model. This is in teacher forcing mode, which
        is generally used for training.

        The input ``tokens`` should be padded with zeros to length max of ``token_lengths``.
        The input ``mel_specgram`` should be padded with zeros to length max of
        ``mel_specgram_lengths``.

        Args:
            tokens (Tensor): The input tokens to Tacotron2 with shape
                `(n_batch, max of token_lengths)`.
            token_lengths (Tensor): The valid length of each sample in ``tokens`` with shape
                `(n_batch, )`, in decreasing order.
            mel_specgram (Tensor): The target mel spectrogram
                with shape `(n_batch, n_mels, max of mel_specgram_lengths)`.
            mel_specgram_lengths (Tensor): The length of each mel spectrogram with shape
                `(n_batch, )`.

        Returns:
            [Tensor, Tensor, Tensor, Tensor]:
                Tensor
                    Mel spectrogram before Postnet with shape
                    `(n_batch, n_mels, max of mel_specgram_lengths)`.
                Tensor
                    Mel spectrogram after Postnet with shape
                    `(n_batch, n_mels, max of mel_specgram_lengths)`.
                Tensor
                    The output for stop token at each time step with shape
                    `(n_batch, max of mel_specgram_lengths)`.
                Tensor
                    Sequence of attention weights from the decoder with
                    shape `(n_batch, max of mel_specgram_lengths, max of token_lengths)`.
        """
        embedded_inputs = self.embedding(tokens).transpose(1, 2)
        encoder_outputs = self.encoder(embedded_inputs, token_lengths)
        mel_specgram, gate_outputs, alignments = self.decoder(
            encoder_outputs, mel_specgram, memory_lengths=token_lengths
        )

        mel_specgram_postnet = mel_specgram + self.postnet(mel_specgram)

        if self.mask_padding:
            mask = _lengths_to_padding_mask(mel_specgram_lengths)  # (n_batch, time)
            mel_specgram = mel_specgram.masked_fill(mask[:, None, :], 0.0)
            mel_specgram_postnet = mel_specgram_postnet.masked_fill(mask[:, None, :], 0.0)
            gate_outputs = gate_outputs.masked_fill(mask, 1e3)

        return mel_specgram, mel_specgram_postnet, gate_outputs, alignments

    def infer(self, tokens, lengths=None):
        """Using Tacotron2 for inference. The input is a batch of encoded sentences
        (``tokens``) and its corresponding lengths (``lengths``). The output is the generated
        mel spectrograms, its corresponding lengths, and the attention weights from the
        decoder.

        The input `tokens` should be padded with zeros to length max of ``lengths``.

        Args:
            tokens (Tensor): The input tokens to Tacotron2 with shape
                `(n_batch, max of lengths)`.
            lengths (Tensor or None, optional): The valid length of each sample in ``tokens``
                with shape `(n_batch, )`, in decreasing order. If ``None``, it is assumed that
                the all the tokens are valid. Default: ``None``

        Returns:
            (Tensor, Tensor, Tensor):
                Tensor
                    The predicted mel spectrogram with shape
                    `(n_batch, n_mels, max of mel_specgram_lengths)`.
                Tensor
                    The length of the predicted mel spectrogram with shape `(n_batch, )`.
                Tensor
                    Sequence of attention weights from the decoder with shape
                    `(n_batch, max of mel_specgram_lengths, max of lengths)`.
        """
        n_batch, max_length = tokens.shape
        if lengths is None:
            lengths = ember.full((n_batch,), max_length, dtype=tokens.dtype, device=tokens.device)

        embedded_inputs = self.embedding(tokens).transpose(1, 2)
        encoder_outputs = self.encoder(embedded_inputs, lengths)
        mel_specgram, mel_specgram_lengths, _, alignments = self.decoder.infer(
            encoder_outputs, lengths
        )
        mel_outputs_postnet = mel_specgram + self.postnet(mel_specgram)
        # the decoder's (text, step * n_batch) alignments as (n_batch, step, text)
        alignments = alignments.reshape(alignments.shape[0], -1, n_batch).permute(2, 1, 0)
        return mel_outputs_postnet, mel_specgram_lengths, alignments
