"""The recurrent neural network transducer (RNN-T) and its Emformer-based builders, as
torchaudio builds them: a transcription network (an Emformer encoder), a prediction network
(layer-normalized LSTMs over the previous tokens) and a joint network."""

from __future__ import annotations

import ember
from ember import nn

from .emformer import Emformer

__all__ = ["RNNT", "emformer_rnnt_base", "emformer_rnnt_model"]


class _TimeReduction(nn.Module):
    """Coalesces frames along time dimension into a fewer number of frames with higher
    feature dimensionality.

    Args:
        stride (int): number of frames to merge for each output frame.
    """

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, input, lengths):
        """
        Args:
            input (Tensor): input sequences, with shape `(B, T, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.

        Returns:
            (Tensor, Tensor): output sequences, with shape `(B, T  // stride, D * stride)`,
            and output lengths, with shape `(B,)`.
        """
        B, T, D = input.shape
        num_frames = T - (T % self.stride)
        input = input[:, :num_frames, :]
        lengths = lengths.div(self.stride, rounding_mode="trunc")
        T_max = num_frames // self.stride
        return input.reshape(B, T_max, D * self.stride), lengths


class _CustomLSTM(nn.Module):
    """Custom long-short-term memory (LSTM) block that applies layer normalization to
    internal nodes.

    Args:
        input_dim (int): input dimension.
        hidden_dim (int): hidden dimension.
        layer_norm (bool, optional): if ``True``, enables layer normalization.
            (Default: ``False``)
        layer_norm_epsilon (float, optional):  value of epsilon to use in layer normalization
            layers (Default: 1e-5)
    """

    def __init__(self, input_dim, hidden_dim, layer_norm=False, layer_norm_epsilon=1e-5):
        super().__init__()
        self.x2g = nn.Linear(input_dim, 4 * hidden_dim, bias=(not layer_norm))
        self.p2g = nn.Linear(hidden_dim, 4 * hidden_dim, bias=False)
        if layer_norm:
            self.c_norm = nn.LayerNorm(hidden_dim, eps=layer_norm_epsilon)
            self.g_norm = nn.LayerNorm(4 * hidden_dim, eps=layer_norm_epsilon)
        else:
            self.c_norm = nn.Identity()
            self.g_norm = nn.Identity()
        self.hidden_dim = hidden_dim

    def forward(self, input, state):
        """
        Args:
            input (Tensor): with shape `(T, B, D)`.
            state (List[Tensor] or None): list of tensors representing internal state
                generated in preceding invocation of ``forward``.

        Returns:
            (Tensor, List[Tensor]): output, with shape `(T, B, hidden_dim)`, and the state
            ``[h, c]`` after the last step.
        """
        if state is None:
            B = input.size(1)
            h = ember.zeros(B, self.hidden_dim, device=input.device, dtype=input.dtype)
            c = ember.zeros(B, self.hidden_dim, device=input.device, dtype=input.dtype)
        else:
            h, c = state

        gated_input = self.x2g(input)  # the input's part of every step at once
        outputs = []
        for gates in gated_input.unbind(0):
            gates = self.g_norm(gates + self.p2g(h))
            input_gate, forget_gate, cell_gate, output_gate = gates.chunk(4, 1)
            c = forget_gate.sigmoid() * c + input_gate.sigmoid() * cell_gate.tanh()
            c = self.c_norm(c)
            h = output_gate.sigmoid() * c.tanh()
            outputs.append(h)
        return ember.stack(outputs, dim=0), [h, c]


class _EmformerEncoder(nn.Module):
    """Emformer-based recurrent neural network transducer (RNN-T) encoder (transcription
    network).

    Args:
        input_dim (int): feature dimension of each input sequence element.
        output_dim (int): feature dimension of each output sequence element.
        segment_length (int): length of input segment expressed as number of frames.
        right_context_length (int): length of right context expressed as number of frames.
        time_reduction_input_dim (int): dimension to scale each element in input sequences to
            prior to applying time reduction block.
        time_reduction_stride (int): factor by which to reduce length of input sequence.
        transformer_num_heads (int): number of attention heads in each Emformer layer.
        transformer_ffn_dim (int): hidden layer dimension of each Emformer layer's feedforward
            network.
        transformer_num_layers (int): number of Emformer layers to instantiate.
        transformer_left_context_length (int): length of left context.
        transformer_dropout (float, optional): transformer dropout probability.
            (Default: 0.0)
        transformer_activation (str, optional): activation function to use in each Emformer
            layer's feedforward network. Must be one of ("relu", "gelu", "silu").
            (Default: "relu")
        transformer_max_memory_size (int, optional): maximum number of memory elements to
            use. (Default: 0)
        transformer_weight_init_scale_strategy (str, optional): per-layer weight
            initialization scaling strategy. Must be one of ("depthwise", "constant",
            ``None``). (Default: "depthwise")
        transformer_tanh_on_mem (bool, optional): if ``True``, applies tanh to memory
            elements. (Default: ``False``)
    """

    def __init__(
        self,
        *,
        input_dim,
        output_dim,
        segment_length,
        right_context_length,
        time_reduction_input_dim,
        time_reduction_stride,
        transformer_num_heads,
        transformer_ffn_dim,
        transformer_num_layers,
        transformer_left_context_length,
        transformer_dropout=0.0,
        transformer_activation="relu",
        transformer_max_memory_size=0,
        transformer_weight_init_scale_strategy="depthwise",
        transformer_tanh_on_mem=False,
    ):
        super().__init__()
        self.input_linear = nn.Linear(input_dim, time_reduction_input_dim, bias=False)
        self.time_reduction = _TimeReduction(time_reduction_stride)
        transformer_input_dim = time_reduction_input_dim * time_reduction_stride
        self.transformer = Emformer(
            transformer_input_dim,
            transformer_num_heads,
            transformer_ffn_dim,
            transformer_num_layers,
            segment_length // time_reduction_stride,
            dropout=transformer_dropout,
            activation=transformer_activation,
            left_context_length=transformer_left_context_length,
            right_context_length=right_context_length // time_reduction_stride,
            max_memory_size=transformer_max_memory_size,
            weight_init_scale_strategy=transformer_weight_init_scale_strategy,
            tanh_on_mem=transformer_tanh_on_mem,
        )
        self.output_linear = nn.Linear(transformer_input_dim, output_dim)
        self.layer_norm = nn.LayerNorm(output_dim)

    def forward(self, input, lengths):
        """Forward pass for training.

        Args:
            input (Tensor): input frame sequences right-padded with right context, with
                shape `(B, T + right context length, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.

        Returns:
            (Tensor, Tensor): output frame sequences, with shape
            `(B, T // time_reduction_stride, output_dim)`, and their lengths, with shape
            `(B,)`.
        """
        x, lengths = self.time_reduction(self.input_linear(input), lengths)
        x, lengths = self.transformer(x, lengths)
        return self.layer_norm(self.output_linear(x)), lengths

    def infer(self, input, lengths, states):
        """Forward pass for inference.

        Args:
            input (Tensor): input frame sequence segments right-padded with right context,
                with shape `(B, T + right context length, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.
            states (List[List[Tensor]] or None): list of lists of tensors representing
                internal state generated in preceding invocation of ``infer``.

        Returns:
            (Tensor, Tensor, List[List[Tensor]]): output frame sequences, with shape
            `(B, T // time_reduction_stride, output_dim)`; their lengths, with shape `(B,)`;
            the internal state after this invocation.
        """
        x, lengths = self.time_reduction(self.input_linear(input), lengths)
        x, lengths, states = self.transformer.infer(x, lengths, states)
        return self.layer_norm(self.output_linear(x)), lengths, states


class _Predictor(nn.Module):
    """Recurrent neural network transducer (RNN-T) prediction network.

    Args:
        num_symbols (int): size of target token lexicon.
        output_dim (int): feature dimension of each output sequence element.
        symbol_embedding_dim (int): dimension of each target token embedding.
        num_lstm_layers (int): number of LSTM layers to instantiate.
        lstm_hidden_dim (int): output dimension of each LSTM layer.
        lstm_layer_norm (bool, optional): if ``True``, enables layer normalization
            for LSTM layers. (Default: ``False``)
        lstm_layer_norm_epsilon (float, optional): value of epsilon to use in
            LSTM layer normalization layers. (Default: 1e-5)
        lstm_dropout (float, optional): LSTM dropout probability. (Default: 0.0)
    """

    def __init__(
        self,
        num_symbols,
        output_dim,
        symbol_embedding_dim,
        num_lstm_layers,
        lstm_hidden_dim,
        lstm_layer_norm=False,
        lstm_layer_norm_epsilon=1e-5,
        lstm_dropout=0.0,
    ):
        super().__init__()
        self.embedding = nn.Embedding(num_symbols, symbol_embedding_dim)
        self.input_layer_norm = nn.LayerNorm(symbol_embedding_dim)
        self.lstm_layers = nn.ModuleList(
            [
                _CustomLSTM(
                    symbol_embedding_dim if idx == 0 else lstm_hidden_dim,
                    lstm_hidden_dim,
                    layer_norm=lstm_layer_norm,
                    layer_norm_epsilon=lstm_layer_norm_epsilon,
                )
                for idx in range(num_lstm_layers)
            ]
        )
        self.dropout = nn.Dropout(p=lstm_dropout)
        self.linear = nn.Linear(lstm_hidden_dim, output_dim)
        self.output_layer_norm = nn.LayerNorm(output_dim)
        self.lstm_dropout = lstm_dropout

    def forward(self, input, lengths, state=None):
        """Forward pass.

        Args:
            input (Tensor): target sequences, with shape `(B, U)` and each element
                mapping to a target symbol, i.e. in range `[0, num_symbols)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.
            state (List[List[Tensor]] or None, optional): list of lists of tensors
                representing internal state generated in preceding invocation
                of ``forward``. (Default: ``None``)

        Returns:
            (Tensor, Tensor, List[List[Tensor]]): output encoding sequences, with shape
            `(B, U, output_dim)`; ``lengths``; the state of each LSTM layer.
        """
        lstm_out = self.input_layer_norm(self.embedding(input.permute(1, 0)))
        state_out = []
        for layer_idx, lstm in enumerate(self.lstm_layers):
            lstm_out, lstm_state_out = lstm(lstm_out, None if state is None else state[layer_idx])
            lstm_out = self.dropout(lstm_out)
            state_out.append(lstm_state_out)
        output = self.output_layer_norm(self.linear(lstm_out))
        return output.permute(1, 0, 2), lengths, state_out


class _Joiner(nn.Module):
    """Recurrent neural network transducer (RNN-T) joint network.

    Args:
        input_dim (int): source and target input dimension.
        output_dim (int): output dimension.
        activation (str, optional): activation function to use in the joiner.
            Must be one of ("relu", "tanh"). (Default: "relu")
    """

    def __init__(self, input_dim, output_dim, activation="relu"):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim, bias=True)
        if activation == "relu":
            self.activation = nn.ReLU()
        elif activation == "tanh":
            self.activation = nn.Tanh()
        else:
            raise ValueError(f"Unsupported activation {activation}")

    def forward(self, source_encodings, source_lengths, target_encodings, target_lengths):
        """Forward pass for training.

        Args:
            source_encodings (Tensor): source encoding sequences, with shape `(B, T, D)`.
            source_lengths (Tensor): with shape `(B,)` and i-th element representing
                valid sequence length of i-th batch element in ``source_encodings``.
            target_encodings (Tensor): target encoding sequences, with shape `(B, U, D)`.
            target_lengths (Tensor): with shape `(B,)` and i-th element representing
                valid sequence length of i-th batch element in ``target_encodings``.

        Returns:
            (Tensor, Tensor, Tensor): joint network output, with shape
            `(B, T, U, output_dim)`, ``source_lengths`` and ``target_lengths``.
        """
        joint_encodings = source_encodings.unsqueeze(2) + target_encodings.unsqueeze(1)
        output = self.linear(self.activation(joint_encodings))
        return output, source_lengths, target_lengths


class RNNT(nn.Module):
    """Recurrent neural network transducer (RNN-T) model.

    Note:
        To build the model, please use one of the factory functions.

    Args:
        transcriber (nn.Module): transcription network: ``forward(input, lengths)`` and
            ``infer(input, lengths, states)``.
        predictor (nn.Module): prediction network.
        joiner (nn.Module): joint network.
    """

    def __init__(self, transcriber, predictor, joiner):
        super().__init__()
        self.transcriber = transcriber
        self.predictor = predictor
        self.joiner = joiner

    def forward(self, sources, source_lengths, targets, target_lengths, predictor_state=None):
        """Forward pass for training.

        B: batch size; T: maximum source sequence length in batch; U: maximum target
        sequence length in batch; D: feature dimension of each source sequence element.

        Args:
            sources (Tensor): source frame sequences right-padded with right context, with
                shape `(B, T, D)`.
            source_lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``sources``.
            targets (Tensor): target sequences, with shape `(B, U)` and each element
                mapping to a target symbol.
            target_lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``targets``.
            predictor_state (List[List[Tensor]] or None, optional): list of lists of tensors
                representing prediction network internal state generated in preceding
                invocation of ``forward``. (Default: ``None``)

        Returns:
            (Tensor, Tensor, Tensor, List[List[Tensor]]):
                Tensor
                    joint network output, with shape `(B, max output source length,
                    max output target length, output_dim (number of target symbols))`.
                Tensor
                    output source lengths, with shape `(B,)` and i-th element representing
                    number of valid elements along dim 1 for i-th batch element in joint
                    network output.
                Tensor
                    output target lengths, with shape `(B,)` and i-th element representing
                    number of valid elements along dim 2 for i-th batch element in joint
                    network output.
                List[List[Tensor]]
                    output states; list of lists of tensors representing prediction network
                    internal state generated in current invocation of ``forward``.
        """
        source_encodings, source_lengths = self.transcriber(input=sources, lengths=source_lengths)
        target_encodings, target_lengths, predictor_state = self.predictor(
            input=targets, lengths=target_lengths, state=predictor_state
        )
        output, source_lengths, target_lengths = self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
        )
        return output, source_lengths, target_lengths, predictor_state

    def transcribe_streaming(self, sources, source_lengths, state):
        """Applies transcription network to sources in streaming mode.

        Args:
            sources (Tensor): source frame sequence segments right-padded with right context,
                with shape `(B, T + right context length, D)`.
            source_lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``sources``.
            state (List[List[Tensor]] or None): list of lists of tensors representing
                transcription network internal state generated in preceding invocation of
                ``transcribe_streaming``.

        Returns:
            (Tensor, Tensor, List[List[Tensor]]): output frame sequences, with shape
            `(B, T // time_reduction_stride, output_dim)`; their lengths, with shape `(B,)`;
            the transcription network's internal state after this invocation.
        """
        return self.transcriber.infer(sources, source_lengths, state)

    def transcribe(self, sources, source_lengths):
        """Applies transcription network to sources in non-streaming mode.

        Args:
            sources (Tensor): source frame sequences right-padded with right context, with
                shape `(B, T + right context length, D)`.
            source_lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``sources``.

        Returns:
            (Tensor, Tensor): output frame sequences, with shape
            `(B, T // time_reduction_stride, output_dim)`, and their lengths, with shape
            `(B,)`.
        """
        return self.transcriber(sources, source_lengths)

    def predict(self, targets, target_lengths, state):
        """Applies prediction network to targets.

        Args:
            targets (Tensor): target sequences, with shape `(B, U)` and each element
                mapping to a target symbol, i.e. in range `[0, num_symbols)`.
            target_lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``targets``.
            state (List[List[Tensor]] or None): list of lists of tensors representing
                internal state generated in preceding invocation of ``predict``.

        Returns:
            (Tensor, Tensor, List[List[Tensor]]): output frame sequences, with shape
            `(B, U, output_dim)`; their lengths, with shape `(B,)`; the prediction network's
            internal state after this invocation.
        """
        return self.predictor(input=targets, lengths=target_lengths, state=state)

    def join(self, source_encodings, source_lengths, target_encodings, target_lengths):
        """Applies joint network to source and target encodings.

        Args:
            source_encodings (Tensor): source encoding sequences, with shape `(B, T, D)`.
            source_lengths (Tensor): with shape `(B,)` and i-th element representing
                valid sequence length of i-th batch element in ``source_encodings``.
            target_encodings (Tensor): target encoding sequences, with shape `(B, U, D)`.
            target_lengths (Tensor): with shape `(B,)` and i-th element representing
                valid sequence length of i-th batch element in ``target_encodings``.

        Returns:
            (Tensor, Tensor, Tensor): joint network output, with shape
            `(B, T, U, output_dim)`, and the source and target lengths.
        """
        return self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
        )


def emformer_rnnt_model(
    *,
    input_dim,
    encoding_dim,
    num_symbols,
    segment_length,
    right_context_length,
    time_reduction_input_dim,
    time_reduction_stride,
    transformer_num_heads,
    transformer_ffn_dim,
    transformer_num_layers,
    transformer_dropout,
    transformer_activation,
    transformer_left_context_length,
    transformer_max_memory_size,
    transformer_weight_init_scale_strategy,
    transformer_tanh_on_mem,
    symbol_embedding_dim,
    num_lstm_layers,
    lstm_layer_norm,
    lstm_layer_norm_epsilon,
    lstm_dropout,
):
    """Builds Emformer-based :class:`RNNT`.

    Note:
        For non-streaming inference, the expectation is for `transcribe` to be called on input
        sequences right-concatenated with `right_context_length` frames.

        For streaming inference, the expectation is for `transcribe_streaming` to be called
        on input chunks comprising `segment_length` frames right-concatenated with
        `right_context_length` frames.

    Args:
        input_dim (int): dimension of input sequence frames passed to transcription network.
        encoding_dim (int): dimension of transcription- and prediction-network-generated
            encodings passed to joint network.
        num_symbols (int): cardinality of set of target tokens.
        segment_length (int): length of input segment expressed as number of frames.
        right_context_length (int): length of right context expressed as number of frames.
        time_reduction_input_dim (int): dimension to scale each element in input sequences to
            prior to applying time reduction block.
        time_reduction_stride (int): factor by which to reduce length of input sequence.
        transformer_num_heads (int): number of attention heads in each Emformer layer.
        transformer_ffn_dim (int): hidden layer dimension of each Emformer layer's feedforward
            network.
        transformer_num_layers (int): number of Emformer layers to instantiate.
        transformer_left_context_length (int): length of left context considered by Emformer.
        transformer_dropout (float): Emformer dropout probability.
        transformer_activation (str): activation function to use in each Emformer layer's
            feedforward network. Must be one of ("relu", "gelu", "silu").
        transformer_max_memory_size (int): maximum number of memory elements to use.
        transformer_weight_init_scale_strategy (str): per-layer weight initialization scaling
            strategy. Must be one of ("depthwise", "constant", ``None``).
        transformer_tanh_on_mem (bool): if ``True``, applies tanh to memory elements.
        symbol_embedding_dim (int): dimension of each target token embedding.
        num_lstm_layers (int): number of LSTM layers to instantiate.
        lstm_layer_norm (bool): if ``True``, enables layer normalization for LSTM layers.
        lstm_layer_norm_epsilon (float): value of epsilon to use in LSTM layer normalization
            layers.
        lstm_dropout (float): LSTM dropout probability.

    Returns:
        RNNT: Emformer RNN-T model.
    """
    encoder = _EmformerEncoder(
        input_dim=input_dim,
        output_dim=encoding_dim,
        segment_length=segment_length,
        right_context_length=right_context_length,
        time_reduction_input_dim=time_reduction_input_dim,
        time_reduction_stride=time_reduction_stride,
        transformer_num_heads=transformer_num_heads,
        transformer_ffn_dim=transformer_ffn_dim,
        transformer_num_layers=transformer_num_layers,
        transformer_dropout=transformer_dropout,
        transformer_activation=transformer_activation,
        transformer_left_context_length=transformer_left_context_length,
        transformer_max_memory_size=transformer_max_memory_size,
        transformer_weight_init_scale_strategy=transformer_weight_init_scale_strategy,
        transformer_tanh_on_mem=transformer_tanh_on_mem,
    )
    predictor = _Predictor(
        num_symbols,
        encoding_dim,
        symbol_embedding_dim=symbol_embedding_dim,
        num_lstm_layers=num_lstm_layers,
        lstm_hidden_dim=symbol_embedding_dim,
        lstm_layer_norm=lstm_layer_norm,
        lstm_layer_norm_epsilon=lstm_layer_norm_epsilon,
        lstm_dropout=lstm_dropout,
    )
    joiner = _Joiner(encoding_dim, num_symbols)
    return RNNT(encoder, predictor, joiner)


def emformer_rnnt_base(num_symbols):
    """Builds basic version of Emformer-based :class:`RNNT`.

    Args:
        num_symbols (int): The size of target token lexicon.

    Returns:
        RNNT: Emformer RNN-T model.
    """
    return emformer_rnnt_model(
        input_dim=80,
        encoding_dim=1024,
        num_symbols=num_symbols,
        segment_length=16,
        right_context_length=4,
        time_reduction_input_dim=128,
        time_reduction_stride=4,
        transformer_num_heads=8,
        transformer_ffn_dim=2048,
        transformer_num_layers=20,
        transformer_dropout=0.1,
        transformer_activation="gelu",
        transformer_left_context_length=30,
        transformer_max_memory_size=0,
        transformer_weight_init_scale_strategy="depthwise",
        transformer_tanh_on_mem=True,
        symbol_embedding_dim=512,
        num_lstm_layers=3,
        lstm_layer_norm=True,
        lstm_layer_norm_epsilon=1e-3,
        lstm_dropout=0.3,
    )
