"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU`` over whole sequences (padded or packed),
and the single-step cells ``RNNCell``, ``LSTMCell`` and ``GRUCell``.

Parameter names, shapes, gate order and initialisation are torch's, so state dicts move
between the two unchanged.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..._creation import empty, zeros
from ...ops import rnn as _rnn
from ...ops.indexing import index_select
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _pack, _pad
from ._utils import _optional_parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: their parameters, checks and forward.

    Per layer ``k`` and direction (suffix ``_reverse`` for the backward one) the parameters
    are ``weight_ih_l{k}`` ``(gates * hidden_size, input features)``, ``weight_hh_l{k}``
    ``(gates * hidden_size, H_out)``, with ``bias`` ``bias_ih_l{k}`` and ``bias_hh_l{k}``
    ``(gates * hidden_size,)``, and for a projected LSTM ``weight_hr_l{k}``
    ``(proj_size, hidden_size)``; all drawn from U(-k, k), k = 1/sqrt(hidden_size).
    """

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                UserWarning,
                stacklevel=3,
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _rnn.GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size

        gate_size = _rnn.GATES[mode] * hidden_size
        real_hidden_size = self._output_size()
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * directions
            for direction in range(directions):
                shapes = {
                    "weight_ih": (gate_size, layer_input_size),
                    "weight_hh": (gate_size, real_hidden_size),
                }
                if bias:
                    shapes["bias_ih"] = shapes["bias_hh"] = (gate_size,)
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        """The parameters in torch's flat order (layer, direction, then ih, hh, biases, hr)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op kept for compatibility: torch compacts the weights for cuDNN here."""

    def reset_parameters(self):
        """Draw every parameter from U(-k, k), k = 1/sqrt(hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ----------------------------------------------------------------------------- checks

    def check_input(self, input, batch_sizes):
        if input.dtype != self._flat_weights[0].dtype:
            raise ValueError(
                f"input must have the type {self._flat_weights[0].dtype}, got type {input.dtype}"
            )
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(
                f"input must have {expected_input_dim} dimensions, got {input.dim()}"
            )
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )

    def _state_shape(self, batch, size):
        """``(num_layers * directions, batch, size)``: the shape of a hidden or cell state."""
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, batch, size)

    def _output_size(self):
        """H_out: the size of the hidden state, ``proj_size`` for a projected LSTM."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        return self._state_shape(mini_batch, self._output_size())

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return index_select(hx, 1, permutation)

    def _check_hx_dims(self, hx, is_batched):
        """``hx`` checked against the input's batchedness, with a batch dimension added to an
        unbatched one."""
        if is_batched:
            if hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
                )
            return hx
        if hx.dim() != 2:
            raise RuntimeError(
                f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
            )
        return hx.unsqueeze(1)

    def _zero_state(self, batch, input):
        shape = self._state_shape(batch, self.hidden_size)
        return zeros(*shape, dtype=input.dtype, device=input.device)

    # ---------------------------------------------------------------------------- forward

    _input_dim_message = "{name}: Expected input to be 2D or 3D, got {dim}D instead"

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        sorted_indices = unsorted_indices = batch_sizes = None
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            batch = int(batch_sizes[0])
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    self._input_dim_message.format(name=self._get_name(), dim=input.dim())
                )
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._check_hx_dims(hx, is_batched)
            batch = input.shape[batch_dim]
        if hx is None:
            hx = self._zero_state(batch, input)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(input, hx, batch_sizes)

        if packed:
            sizes = batch_sizes._data
            # run on the padded batch (sorted longest first); rows stop as sequences end
            x = _pad(input, sizes, False, 0.0, sizes.size)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        output, hidden = _rnn.stacked(
            self.mode,
            x,
            hx,
            self._flat_weights,
            self.bias,
            self.num_layers,
            self.dropout,
            self.training,
            self.bidirectional,
            None if batch_sizes is None else tuple(sizes.tolist()),
        )
        if packed:
            output = PackedSequence(
                _pack(output, sizes, False), batch_sizes, sorted_indices, unsorted_indices
            )
        else:
            if self.batch_first:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(batch_dim)
                hidden = self._squeeze_hidden(hidden)
        return output, self.permute_hidden(hidden, unsorted_indices)

    def _squeeze_hidden(self, hidden):
        return hidden.squeeze(1)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """A multi-layer Elman RNN: ``h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)``
    (ReLU in place of tanh with ``nonlinearity='relu'``).

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: stacked layers, each running on the previous one's output.
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: use ``b_ih`` and ``b_hh``.
        batch_first: input and output are ``(N, L, H)`` rather than ``(L, N, H)`` (the
            hidden state stays ``(D * num_layers, N, H)``).
        dropout: dropout probability on the outputs of every layer but the last (training).
        bidirectional: add a layer running backwards in time (``D = 2``); outputs are
            concatenated.
        device, dtype: where and in which dtype to create the parameters.

    Inputs: ``input, hx``: ``input`` ``(L, N, H_in)``, ``(L, H_in)`` unbatched, or a
        ``PackedSequence``; ``hx`` ``(D * num_layers, N, H_out)`` (zeros when omitted).

    Outputs: ``output, h_n``: ``output`` ``(L, N, D * H_out)`` (a ``PackedSequence`` for
        packed input, zeros past each sequence's end when padded), ``h_n`` the last state of
        every layer and direction.
    """

    _input_dim_message = "{name}: Expected input to be 2D or 3D, got {dim}D tensor instead"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A multi-layer long short-term memory network.

    Each layer computes, with gates in the order ``i, f, g, o`` in the weights::

        i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g                       h' = o * tanh(c')

    and with ``proj_size > 0`` projects ``h' = W_hr h'`` to ``proj_size`` features.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first: as ``RNN``.
        dropout, bidirectional, device, dtype: as ``RNN``.
        proj_size: size of the projected hidden state (0: no projection).

    Inputs: ``input, (h_0, c_0)``: as ``RNN``, ``c_0`` ``(D * num_layers, N, hidden_size)``.

    Outputs: ``output, (h_n, c_n)``.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )

    def get_expected_cell_size(self, input, batch_sizes):
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return (*expected[:2], self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return index_select(hx[0], 1, permutation), index_select(hx[1], 1, permutation)

    def _check_hx_dims(self, hx, is_batched):
        dims = (hx[0].dim(), hx[1].dim())
        want = 3 if is_batched else 2
        if dims != (want, want):
            kind = "batched 3-D" if is_batched else "unbatched 2-D"
            raise RuntimeError(
                f"For {kind} input, hx and cx should also be {want}-D but got "
                f"({dims[0]}-D, {dims[1]}-D) tensors"
            )
        return hx if is_batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))

    def _zero_state(self, batch, input):
        options = {"dtype": input.dtype, "device": input.device}
        h0 = zeros(*self._state_shape(batch, self._output_size()), **options)
        return h0, zeros(*self._state_shape(batch, self.hidden_size), **options)

    def _squeeze_hidden(self, hidden):
        return hidden[0].squeeze(1), hidden[1].squeeze(1)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit network.

    Each layer computes, with gates in the order ``r, z, n`` in the weights::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    (``r`` multiplies ``W_hn h + b_hn``, after the product with the weight: torch's variant,
    which differs from the original paper on purpose, for speed.)

    Args, inputs and outputs: as ``RNN``.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )


# --------------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` ``(chunks * hidden_size, input_size)``,
    ``weight_hh`` ``(chunks * hidden_size, hidden_size)`` and with ``bias`` ``bias_ih``,
    ``bias_hh`` ``(chunks * hidden_size,)``, all from U(-k, k), k = 1/sqrt(hidden_size)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        options = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **options))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **options))
        _optional_parameter(self, "bias_ih", bias, num_chunks * hidden_size, **options)
        _optional_parameter(self, "bias_hh", bias, num_chunks * hidden_size, **options)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        """Draw every parameter from U(-k, k), k = 1/sqrt(hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, hx, states):
        """The input and the ``states`` state tensors, batched, checked as torch checks
        them; also whether the input was batched."""
        name = self._get_name()
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for k, h in enumerate(hx if states == 2 else (hx,)):
                if h.dim() not in (1, 2):
                    which = f"hx[{k}]" if states == 2 else "hidden"
                    raise ValueError(
                        f"{name}: Expected {which} to be 1D or 2D, got {h.dim()}D instead"
                    )
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zero = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zero, zero) if states == 2 else zero
        elif not is_batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if states == 2 else hx.unsqueeze(0)
        return input, hx, is_batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """An Elman RNN cell: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (ReLU with
    ``nonlinearity='relu'``).

    Inputs: ``input`` ``(N, input_size)`` or ``(input_size)``, ``hx`` ``(N, hidden_size)`` or
    ``(hidden_size)`` (zeros when omitted). Output: ``h'`` of ``hx``'s shape.
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, is_batched = self._prepare(input, hx, states=1)
        if self.nonlinearity == "tanh":
            ret = _rnn.rnn_tanh_cell(input, hx, *self._weights())
        elif self.nonlinearity == "relu":
            ret = _rnn.rnn_relu_cell(input, hx, *self._weights())
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell (the gates of ``LSTM``, one step).

    Inputs: ``input``, ``(h_0, c_0)`` (zeros when omitted). Output: ``(h_1, c_1)``.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._prepare(input, hx, states=2)
        h, c = _rnn.lstm_cell(input, hx, *self._weights())
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell (the gates of ``GRU``, one step).

    Inputs: ``input``, ``hx`` (zeros when omitted). Output: ``h'``.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._prepare(input, hx, states=1)
        ret = _rnn.gru_cell(input, hx, *self._weights())
        return ret if is_batched else ret.squeeze(0)
