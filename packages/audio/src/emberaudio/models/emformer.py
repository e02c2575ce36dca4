"""Emformer (Shi et al., 2021), as torchaudio builds it: a streaming Transformer whose
attention sees, for each segment of the utterance, a limited left context, the segment's right
context and a bank of memory vectors summarising the earlier segments.

Sequences are time-major inside (``(T, B, D)``), as in torchaudio."""

from __future__ import annotations

import math

import ember
from ember import nn

from .conformer import _lengths_to_padding_mask

__all__ = ["Emformer"]


def _gen_padding_mask(utterance, right_context, summary, lengths, mems, left_context_key=None):
    """The key padding mask of the attention (None for a batch of one): each item's keys are
    its memory, right context, left context and valid utterance frames."""
    T = right_context.size(0) + utterance.size(0) + summary.size(0)
    B = right_context.size(1)
    if B == 1:
        return None
    right_context_blocks_length = T - int(lengths.max().item()) - summary.size(0)
    left_context_blocks_length = left_context_key.size(0) if left_context_key is not None else 0
    klengths = lengths + mems.size(0) + right_context_blocks_length + left_context_blocks_length
    return _lengths_to_padding_mask(klengths)


_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def _get_activation_module(activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"Unsupported activation {activation}")
    return _ACTIVATIONS[activation]()


def _get_weight_init_gains(weight_init_scale_strategy, num_layers):
    """The gain of each layer's attention initialization: ``None`` (the default
    initialization), ``1 / sqrt(layer + 1)`` ("depthwise") or ``1 / sqrt(2)`` ("constant")."""
    if weight_init_scale_strategy is None:
        return [None for _ in range(num_layers)]
    if weight_init_scale_strategy == "depthwise":
        return [1.0 / math.sqrt(layer_idx + 1) for layer_idx in range(num_layers)]
    if weight_init_scale_strategy == "constant":
        return [1.0 / math.sqrt(2) for _ in range(num_layers)]
    raise ValueError(f"Unsupported weight_init_scale_strategy value {weight_init_scale_strategy}")


def _empty(like):
    """No frames: ``(0, batch, dim)`` of ``like``'s dtype and device (torchaudio uses a 1-D
    empty tensor, which ``cat`` skips; this is the same for every operation made here)."""
    return ember.zeros(0, *like.shape[1:], dtype=like.dtype, device=like.device)


class _EmformerAttention(nn.Module):
    """Emformer layer attention module.

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each Emformer layer.
        dropout (float, optional): dropout probability. (Default: 0.0)
        weight_init_gain (float or None, optional): scale factor to apply when initializing
            attention module parameters. (Default: ``None``)
        tanh_on_mem (bool, optional): if ``True``, applies tanh to memory elements.
            (Default: ``False``)
        negative_inf (float, optional): value to use for negative infinity in attention
            weights. (Default: -1e8)
    """

    def __init__(
        self,
        input_dim,
        num_heads,
        dropout=0.0,
        weight_init_gain=None,
        tanh_on_mem=False,
        negative_inf=-1e8,
    ):
        super().__init__()
        if input_dim % num_heads != 0:
            raise ValueError(
                f"input_dim ({input_dim}) is not a multiple of num_heads ({num_heads})."
            )
        self.input_dim = input_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.tanh_on_mem = tanh_on_mem
        self.negative_inf = negative_inf
        self.scaling = (self.input_dim // self.num_heads) ** -0.5

        self.emb_to_key_value = nn.Linear(input_dim, 2 * input_dim, bias=True)
        self.emb_to_query = nn.Linear(input_dim, input_dim, bias=True)
        self.out_proj = nn.Linear(input_dim, input_dim, bias=True)

        if weight_init_gain:
            nn.init.xavier_uniform_(self.emb_to_key_value.weight, gain=weight_init_gain)
            nn.init.xavier_uniform_(self.emb_to_query.weight, gain=weight_init_gain)

    def _gen_attention_probs(self, attention_weights, attention_mask, padding_mask):
        attention_weights_float = attention_weights.float()
        attention_weights_float = attention_weights_float.masked_fill(
            attention_mask.unsqueeze(0), self.negative_inf
        )
        T = attention_weights.size(1)
        B = attention_weights.size(0) // self.num_heads
        if padding_mask is not None:
            attention_weights_float = attention_weights_float.view(B, self.num_heads, T, -1)
            attention_weights_float = attention_weights_float.masked_fill(
                padding_mask.unsqueeze(1).unsqueeze(2).to(ember.bool), self.negative_inf
            )
            attention_weights_float = attention_weights_float.view(B * self.num_heads, T, -1)
        attention_probs = nn.functional.softmax(attention_weights_float, dim=-1).type_as(
            attention_weights
        )
        return nn.functional.dropout(attention_probs, p=float(self.dropout), training=self.training)

    def _forward_impl(
        self,
        utterance,
        lengths,
        right_context,
        summary,
        mems,
        attention_mask,
        left_context_key=None,
        left_context_val=None,
    ):
        B = utterance.size(1)
        T = right_context.size(0) + utterance.size(0) + summary.size(0)

        # query from [right context, utterance, summary]; key and value from
        # [mems, right context, (left context,) utterance]
        query = self.emb_to_query(ember.cat([right_context, utterance, summary]))
        key, value = self.emb_to_key_value(ember.cat([mems, right_context, utterance])).chunk(
            chunks=2, dim=2
        )
        if left_context_key is not None and left_context_val is not None:
            right_context_blocks_length = T - int(lengths.max().item()) - summary.size(0)
            split = mems.size(0) + right_context_blocks_length
            key = ember.cat([key[:split], left_context_key, key[split:]])
            value = ember.cat([value[:split], left_context_val, value[split:]])

        head_dim = self.input_dim // self.num_heads
        reshaped_query, reshaped_key, reshaped_value = [
            tensor.reshape(-1, B * self.num_heads, head_dim).transpose(0, 1)
            for tensor in [query, key, value]
        ]
        attention_weights = ember.bmm(reshaped_query * self.scaling, reshaped_key.transpose(1, 2))
        padding_mask = _gen_padding_mask(
            utterance, right_context, summary, lengths, mems, left_context_key
        )
        attention_probs = self._gen_attention_probs(attention_weights, attention_mask, padding_mask)
        attention = ember.bmm(attention_probs, reshaped_value)
        if attention.shape != (B * self.num_heads, T, head_dim):
            raise AssertionError("Computed attention has incorrect dimensions")
        attention = attention.transpose(0, 1).reshape(T, B, self.input_dim)

        output_right_context_mems = self.out_proj(attention)
        summary_length = summary.size(0)
        output_right_context = output_right_context_mems[: T - summary_length]
        output_mems = output_right_context_mems[T - summary_length :]
        if self.tanh_on_mem:
            output_mems = ember.tanh(output_mems)
        else:
            output_mems = ember.clamp(output_mems, min=-10, max=10)
        return output_right_context, output_mems, key, value

    def forward(self, utterance, lengths, right_context, summary, mems, attention_mask):
        """Forward pass for training.

        B: batch size; D: feature dimension of each frame; T: number of utterance frames;
        R: number of right context frames; S: number of summary elements; M: number of memory
        elements.

        Args:
            utterance (Tensor): utterance frames, with shape `(T, B, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``utterance``.
            right_context (Tensor): right context frames, with shape `(R, B, D)`.
            summary (Tensor): summary elements, with shape `(S, B, D)`.
            mems (Tensor): memory elements, with shape `(M, B, D)`.
            attention_mask (Tensor): attention mask for underlying attention module.

        Returns:
            (Tensor, Tensor): output frames corresponding to utterance and right_context, with
            shape `(T + R, B, D)`, and updated memory elements, with shape `(M, B, D)`.
        """
        output, output_mems, _, _ = self._forward_impl(
            utterance, lengths, right_context, summary, mems, attention_mask
        )
        return output, output_mems[:-1]

    def infer(
        self, utterance, lengths, right_context, summary, mems, left_context_key, left_context_val
    ):
        """Forward pass for inference.

        Args:
            utterance (Tensor): utterance frames, with shape `(T, B, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``utterance``.
            right_context (Tensor): right context frames, with shape `(R, B, D)`.
            summary (Tensor): summary elements, with shape `(S, B, D)`.
            mems (Tensor): memory elements, with shape `(M, B, D)`.
            left_context_key (Tensor): left context attention key computed from preceding
                invocation.
            left_context_val (Tensor): left context attention value computed from preceding
                invocation.

        Returns:
            (Tensor, Tensor, Tensor, Tensor): output frames corresponding to utterance and
            right_context, with shape `(T + R, B, D)`; updated memory elements, with shape
            `(M, B, D)`; attention key and value computed for left context and utterance.
        """
        query_dim = right_context.size(0) + utterance.size(0) + summary.size(0)
        key_dim = right_context.size(0) + utterance.size(0) + mems.size(0)
        key_dim += left_context_key.size(0)
        # the summary (last query) does not attend to the memory
        rows = ember.arange(query_dim, device=utterance.device)[:, None]
        cols = ember.arange(key_dim, device=utterance.device)[None, :]
        attention_mask = (rows == query_dim - 1) & (cols < mems.size(0))
        output, output_mems, key, value = self._forward_impl(
            utterance,
            lengths,
            right_context,
            summary,
            mems,
            attention_mask,
            left_context_key=left_context_key,
            left_context_val=left_context_val,
        )
        start = mems.size(0) + right_context.size(0)
        return output, output_mems, key[start:], value[start:]


class _EmformerLayer(nn.Module):
    """Emformer layer that constitutes Emformer.

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads.
        ffn_dim: (int): hidden layer dimension of feedforward network.
        segment_length (int): length of each input segment.
        dropout (float, optional): dropout probability. (Default: 0.0)
        activation (str, optional): activation function to use in feedforward network.
            Must be one of ("relu", "gelu", "silu"). (Default: "relu")
        left_context_length (int, optional): length of left context. (Default: 0)
        max_memory_size (int, optional): maximum number of memory elements to use.
            (Default: 0)
        weight_init_gain (float or None, optional): scale factor to apply when initializing
            attention module parameters. (Default: ``None``)
        tanh_on_mem (bool, optional): if ``True``, applies tanh to memory elements.
            (Default: ``False``)
        negative_inf (float, optional): value to use for negative infinity in attention
            weights. (Default: -1e8)
    """

    def __init__(
        self,
        input_dim,
        num_heads,
        ffn_dim,
        segment_length,
        dropout=0.0,
        activation="relu",
        left_context_length=0,
        max_memory_size=0,
        weight_init_gain=None,
        tanh_on_mem=False,
        negative_inf=-1e8,
    ):
        super().__init__()
        self.attention = _EmformerAttention(
            input_dim=input_dim,
            num_heads=num_heads,
            dropout=dropout,
            weight_init_gain=weight_init_gain,
            tanh_on_mem=tanh_on_mem,
            negative_inf=negative_inf,
        )
        self.dropout = nn.Dropout(dropout)
        self.memory_op = nn.AvgPool1d(
            kernel_size=segment_length, stride=segment_length, ceil_mode=True
        )
        activation_module = _get_activation_module(activation)
        self.pos_ff = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, ffn_dim),
            activation_module,
            nn.Dropout(dropout),
            nn.Linear(ffn_dim, input_dim),
            nn.Dropout(dropout),
        )
        self.layer_norm_input = nn.LayerNorm(input_dim)
        self.layer_norm_output = nn.LayerNorm(input_dim)

        self.left_context_length = left_context_length
        self.segment_length = segment_length
        self.max_memory_size = max_memory_size
        self.input_dim = input_dim
        self.use_mem = max_memory_size > 0

    def _init_state(self, batch_size, device):
        empty_memory = ember.zeros(self.max_memory_size, batch_size, self.input_dim, device=device)
        left_context_key = ember.zeros(
            self.left_context_length, batch_size, self.input_dim, device=device
        )
        left_context_val = ember.zeros(
            self.left_context_length, batch_size, self.input_dim, device=device
        )
        past_length = ember.zeros(1, batch_size, dtype=ember.int32, device=device)
        return [empty_memory, left_context_key, left_context_val, past_length]

    def _unpack_state(self, state):
        past_length = state[3][0][0].item()
        past_left_context_length = min(self.left_context_length, past_length)
        past_mem_length = min(self.max_memory_size, math.ceil(past_length / self.segment_length))
        pre_mems = state[0][self.max_memory_size - past_mem_length :]
        lc_key = state[1][self.left_context_length - past_left_context_length :]
        lc_val = state[2][self.left_context_length - past_left_context_length :]
        return pre_mems, lc_key, lc_val

    def _pack_state(self, next_k, next_v, update_length, mems, state):
        # updates ``state`` in place, as torchaudio does
        new_k = ember.cat([state[1], next_k])
        new_v = ember.cat([state[2], next_v])
        state[0] = ember.cat([state[0], mems])[-self.max_memory_size :]
        state[1] = new_k[new_k.shape[0] - self.left_context_length :]
        state[2] = new_v[new_v.shape[0] - self.left_context_length :]
        state[3] = state[3] + update_length
        return state

    def _process_attention_output(self, rc_output, utterance, right_context):
        result = self.dropout(rc_output) + ember.cat([right_context, utterance])
        result = self.pos_ff(result) + result
        return self.layer_norm_output(result)

    def _apply_pre_attention_layer_norm(self, utterance, right_context):
        layer_norm_input = self.layer_norm_input(ember.cat([right_context, utterance]))
        return (
            layer_norm_input[right_context.size(0) :],
            layer_norm_input[: right_context.size(0)],
        )

    def _apply_post_attention_ffn(self, rc_output, utterance, right_context):
        rc_output = self._process_attention_output(rc_output, utterance, right_context)
        return rc_output[right_context.size(0) :], rc_output[: right_context.size(0)]

    def _summary(self, utterance):
        """The mean of each segment of ``utterance``, ``(num_segments, B, D)``, or nothing
        without memory."""
        if not self.use_mem:
            return _empty(utterance)
        return self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)

    def _apply_attention_forward(self, utterance, lengths, right_context, mems, attention_mask):
        if attention_mask is None:
            raise ValueError("attention_mask must be not None when for_inference is False")
        return self.attention(
            utterance=utterance,
            lengths=lengths,
            right_context=right_context,
            summary=self._summary(utterance),
            mems=mems,
            attention_mask=attention_mask,
        )

    def _apply_attention_infer(self, utterance, lengths, right_context, mems, state):
        if state is None:
            state = self._init_state(utterance.size(1), device=utterance.device)
        pre_mems, lc_key, lc_val = self._unpack_state(state)
        rc_output, next_m, next_k, next_v = self.attention.infer(
            utterance=utterance,
            lengths=lengths,
            right_context=right_context,
            summary=self._summary(utterance)[:1],
            mems=pre_mems,
            left_context_key=lc_key,
            left_context_val=lc_val,
        )
        state = self._pack_state(next_k, next_v, utterance.size(0), mems, state)
        return rc_output, next_m, state

    def forward(self, utterance, lengths, right_context, mems, attention_mask):
        """Forward pass for training.

        Args:
            utterance (Tensor): utterance frames, with shape `(T, B, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``utterance``.
            right_context (Tensor): right context frames, with shape `(R, B, D)`.
            mems (Tensor): memory elements, with shape `(M, B, D)`.
            attention_mask (Tensor): attention mask for underlying attention module.

        Returns:
            (Tensor, Tensor, Tensor): encoded utterance frames, with shape `(T, B, D)`;
            updated right context frames, with shape `(R, B, D)`; updated memory elements,
            with shape `(M, B, D)`.
        """
        layer_norm_utterance, layer_norm_right_context = self._apply_pre_attention_layer_norm(
            utterance, right_context
        )
        rc_output, output_mems = self._apply_attention_forward(
            layer_norm_utterance, lengths, layer_norm_right_context, mems, attention_mask
        )
        output_utterance, output_right_context = self._apply_post_attention_ffn(
            rc_output, utterance, right_context
        )
        return output_utterance, output_right_context, output_mems

    def infer(self, utterance, lengths, right_context, state, mems):
        """Forward pass for inference.

        Args:
            utterance (Tensor): utterance frames, with shape `(T, B, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``utterance``.
            right_context (Tensor): right context frames, with shape `(R, B, D)`.
            state (List[Tensor] or None): list of tensors representing layer internal state
                generated in preceding invocation of ``infer``.
            mems (Tensor): memory elements, with shape `(M, B, D)`.

        Returns:
            (Tensor, Tensor, List[Tensor], Tensor): encoded utterance frames, with shape
            `(T, B, D)`; updated right context frames, with shape `(R, B, D)`; the layer's
            internal state after this invocation; updated memory elements, with shape
            `(M, B, D)`.
        """
        layer_norm_utterance, layer_norm_right_context = self._apply_pre_attention_layer_norm(
            utterance, right_context
        )
        rc_output, output_mems, output_state = self._apply_attention_infer(
            layer_norm_utterance, lengths, layer_norm_right_context, mems, state
        )
        output_utterance, output_right_context = self._apply_post_attention_ffn(
            rc_output, utterance, right_context
        )
        return output_utterance, output_right_context, output_state, output_mems


class _EmformerImpl(nn.Module):
    def __init__(
        self,
        emformer_layers,
        segment_length,
        left_context_length=0,
        right_context_length=0,
        max_memory_size=0,
    ):
        super().__init__()
        self.use_mem = max_memory_size > 0
        self.memory_op = nn.AvgPool1d(
            kernel_size=segment_length, stride=segment_length, ceil_mode=True
        )
        self.emformer_layers = emformer_layers
        self.left_context_length = left_context_length
        self.right_context_length = right_context_length
        self.segment_length = segment_length
        self.max_memory_size = max_memory_size

    def _gen_right_context(self, input):
        """The right context of each segment, one after another: the ``right_context_length``
        frames after it (the last segment's are the input's last frames)."""
        T = input.shape[0]
        rc = self.right_context_length
        num_segs = math.ceil((T - rc) / self.segment_length)
        starts = ember.arange(1, num_segs, device=input.device) * self.segment_length
        starts = ember.cat([starts, ember.tensor([T - rc], device=input.device)])
        index = (starts[:, None] + ember.arange(rc, device=input.device)).reshape(-1)
        return input[index]

    def _gen_attention_mask(self, input):
        """The boolean mask (True: no attention) of the queries [right contexts, utterance,
        summaries] over the keys [memories, right contexts, utterance]: the right context and
        the frames of segment ``s`` attend to the memories of the ``max_memory_size``
        segments before it, to its right context and to its frames with
        ``left_context_length`` frames before them; its summary, to all but the memories."""
        utterance_length = input.size(0)
        seg = self.segment_length
        rc = self.right_context_length
        num_segs = math.ceil(utterance_length / seg)
        device = input.device

        def segment_of(count, size):
            return ember.arange(count, device=device) // max(size, 1)

        # the segment of each query (a column) and of each right context frame (a row)
        query_segments = [segment_of(num_segs * rc, rc), segment_of(utterance_length, seg)]
        if self.use_mem:
            query_segments.append(segment_of(num_segs, 1))
        segment = ember.cat(query_segments)[:, None]
        is_summary = ember.arange(segment.shape[0], device=device)[:, None]
        is_summary = is_summary >= num_segs * rc + utterance_length

        frames = ember.arange(utterance_length, device=device)[None, :]
        first_frame = (segment * seg - self.left_context_length).clamp(min=0)
        allowed = [
            segment_of(num_segs * rc, rc)[None, :] == segment,
            (frames >= first_frame) & (frames < (segment + 1) * seg),
        ]
        if self.use_mem:
            memories = ember.arange(num_segs - 1, device=device)[None, :]
            first_memory = (segment - self.max_memory_size).clamp(min=0)
            allowed.insert(0, (memories >= first_memory) & (memories < segment) & ~is_summary)
        return ~ember.cat(allowed, dim=1)

    def forward(self, input, lengths):
        """Forward pass for training and non-streaming inference.

        B: batch size; T: max number of input frames in batch; D: feature dimension of each
        frame.

        Args:
            input (Tensor): utterance frames right-padded with right context frames, with
                shape `(B, T + right_context_length, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid utterance frames for i-th batch element in ``input``.

        Returns:
            (Tensor, Tensor):
                Tensor
                    output frames, with shape `(B, T, D)`.
                Tensor
                    output lengths, with shape `(B,)` and i-th element representing
                    number of valid frames for i-th batch element in output frames.
        """
        input = input.permute(1, 0, 2)
        right_context = self._gen_right_context(input)
        utterance = input[: input.size(0) - self.right_context_length]
        attention_mask = self._gen_attention_mask(utterance)
        if self.use_mem:
            mems = self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)[:-1]
        else:
            mems = _empty(utterance)
        output = utterance
        for layer in self.emformer_layers:
            output, right_context, mems = layer(
                output, lengths, right_context, mems, attention_mask
            )
        return output.permute(1, 0, 2), lengths

    def infer(self, input, lengths, states=None):
        """Forward pass for streaming inference.

        B: batch size; D: feature dimension of each frame.

        Args:
            input (Tensor): utterance frames right-padded with right context frames, with
                shape `(B, segment_length + right_context_length, D)`.
            lengths (Tensor): with shape `(B,)` and i-th element representing
                number of valid frames for i-th batch element in ``input``.
            states (List[List[Tensor]] or None, optional): list of lists of tensors
                representing internal state generated in preceding invocation of ``infer``.
                (Default: ``None``)

        Returns:
            (Tensor, Tensor, List[List[Tensor]]):
                Tensor
                    output frames, with shape `(B, segment_length, D)`.
                Tensor
                    output lengths, with shape `(B,)` and i-th element representing
                    number of valid frames for i-th batch element in output frames.
                List[List[Tensor]]
                    output states; list of lists of tensors representing internal state
                    generated in current invocation of ``infer``.
        """
        if input.size(1) != self.segment_length + self.right_context_length:
            raise ValueError(
                "Per configured segment_length and right_context_length"
                f", expected size of {self.segment_length + self.right_context_length} for "
                f"dimension 1 of input, but got {input.size(1)}."
            )
        input = input.permute(1, 0, 2)
        right_context_start_idx = input.size(0) - self.right_context_length
        right_context = input[right_context_start_idx:]
        utterance = input[:right_context_start_idx]
        output_lengths = ember.clamp(lengths - self.right_context_length, min=0)
        if self.use_mem:
            mems = self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)
        else:
            mems = _empty(utterance)
        output = utterance
        output_states = []
        for layer_idx, layer in enumerate(self.emformer_layers):
            output, right_context, output_state, mems = layer.infer(
                output,
                output_lengths,
                right_context,
                None if states is None else states[layer_idx],
                mems,
            )
            output_states.append(output_state)
        return output.permute(1, 0, 2), output_lengths, output_states


class Emformer(_EmformerImpl):
    """Emformer architecture introduced in *Emformer: Efficient Memory Transformer Based
    Acoustic Model for Low Latency Streaming Speech Recognition* (Shi et al., 2021).

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each Emformer layer.
        ffn_dim (int): hidden layer dimension of each Emformer layer's feedforward network.
        num_layers (int): number of Emformer layers to instantiate.
        segment_length (int): length of each input segment.
        dropout (float, optional): dropout probability. (Default: 0.0)
        activation (str, optional): activation function to use in each Emformer layer's
            feedforward network. Must be one of ("relu", "gelu", "silu"). (Default: "relu")
        left_context_length (int, optional): length of left context. (Default: 0)
        right_context_length (int, optional): length of right context. (Default: 0)
        max_memory_size (int, optional): maximum number of memory elements to use.
            (Default: 0)
        weight_init_scale_strategy (str or None, optional): per-layer weight initialization
            scaling strategy. Must be one of ("depthwise", "constant", ``None``).
            (Default: "depthwise")
        tanh_on_mem (bool, optional): if ``True``, applies tanh to memory elements.
            (Default: ``False``)
        negative_inf (float, optional): value to use for negative infinity in attention
            weights. (Default: -1e8)

    Examples:
        >>> emformer = Emformer(512, 8, 2048, 20, 4, right_context_length=1)
        >>> input = ember.rand(128, 400, 512)  # batch, num_frames, feature_dim
        >>> lengths = ember.randint(1, 200, (128,))  # batch
        >>> output, lengths = emformer(input, lengths)
        >>> input = ember.rand(128, 5, 512)
        >>> lengths = ember.ones(128) * 5
        >>> output, lengths, states = emformer.infer(input, lengths, None)
    """

    def __init__(
        self,
        input_dim,
        num_heads,
        ffn_dim,
        num_layers,
        segment_length,
        dropout=0.0,
        activation="relu",
        left_context_length=0,
        right_context_length=0,
        max_memory_size=0,
        weight_init_scale_strategy="depthwise",
        tanh_on_mem=False,
        negative_inf=-1e8,
    ):
        weight_init_gains = _get_weight_init_gains(weight_init_scale_strategy, num_layers)
        emformer_layers = nn.ModuleList(
            [
                _EmformerLayer(
                    input_dim,
                    num_heads,
                    ffn_dim,
                    segment_length,
                    dropout=dropout,
                    activation=activation,
                    left_context_length=left_context_length,
                    max_memory_size=max_memory_size,
                    weight_init_gain=weight_init_gains[layer_idx],
                    tanh_on_mem=tanh_on_mem,
                    negative_inf=negative_inf,
                )
                for layer_idx in range(num_layers)
            ]
        )
        super().__init__(
            emformer_layers,
            segment_length,
            left_context_length=left_context_length,
            right_context_length=right_context_length,
            max_memory_size=max_memory_size,
        )
