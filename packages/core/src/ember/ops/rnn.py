"""Recurrent networks: the Elman RNN (tanh or ReLU), LSTM and GRU, as cells (one time step)
and as multi-layer, optionally bidirectional networks over whole sequences.

A sequence runs one layer-direction at a time through ``RecurrentLayer``, one Function
whose forward projects the inputs of every time step in one GEMM, then loops over time on
arrays, and whose backward runs backpropagation through time on arrays (a graph of about ten
small operations per time step would spend more time recording than computing). So, unlike
other operations, these layers have no gradients of gradients. ``_composed_layer`` is the
reference they are tested against: the same layer made of differentiable per-step operations
(the cells' steps).

Gates are torch's: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

Sequences are time-major ``(T, B, features)``. Variable lengths (packed sequences) are run
on the padded batch with the sequences sorted longest first, so that ``batch_sizes[t]``
sequences are still running at time ``t``: later rows keep their state (a finished sequence
freezes; a reversed one has not started yet) and output zeros.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._tensor import Tensor
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_mode
from . import _cuda
from . import pointwise as _pw
from .dropout import dropout as dropout_fn
from .linear import linear, times_transposed
from .shape import cat, stack

__all__ = [
    "rnn_tanh",
    "rnn_relu",
    "lstm",
    "gru",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
]

# gate blocks stacked in the rows of weight_ih / weight_hh (shared with nn.RNNBase, which
# runs its layers through ``stacked``)
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------ composed reference


def _rnn_step(gx, hx, w_hh, b_hh, relu):
    pre = gx + linear(hx, w_hh, b_hh)
    return _pw.relu(pre) if relu else _pw.tanh(pre)


def _lstm_step(gx, hx, cx, w_hh, b_hh, w_hr=None):
    i, f, g, o = (gx + linear(hx, w_hh, b_hh)).chunk(4, 1)
    cy = _pw.sigmoid(f) * cx + _pw.sigmoid(i) * _pw.tanh(g)
    hy = _pw.sigmoid(o) * _pw.tanh(cy)
    return (hy if w_hr is None else linear(hy, w_hr)), cy


def _gru_step(gx, hx, w_hh, b_hh):
    xr, xz, xn = gx.chunk(3, 1)
    hr, hz, hn = linear(hx, w_hh, b_hh).chunk(3, 1)
    r = _pw.sigmoid(xr + hr)
    z = _pw.sigmoid(xz + hz)
    n = _pw.tanh(xn + r * hn)
    return n + z * (hx - n)  # = (1 - z) * n + z * h


def _schedule(steps, batch, reverse, batch_sizes):
    """``(s, t, n)`` for each processing step ``s``: the time ``t`` it handles and the number
    ``n`` of (leading) sequences still running then."""
    times = range(steps - 1, -1, -1) if reverse else range(steps)
    return [
        (s, t, batch if batch_sizes is None else int(batch_sizes[t])) for s, t in enumerate(times)
    ]


def _composed_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    """One layer-direction built from differentiable per-step operations, the reference
    ``RecurrentLayer`` is tested against. Returns ``(y, h_n, c_n)`` (``c_n`` None but for
    LSTM)."""
    steps, batch = x.shape[0], x.shape[1]
    gx = linear(x, w_ih, b_ih)
    h, c = h0, c0
    ys = [None] * steps
    for _, t, n in _schedule(steps, batch, reverse, batch_sizes):
        hx = h if n == batch else h[:n]
        if mode == "LSTM":
            hy, cy = _lstm_step(gx[t, :n], hx, c if n == batch else c[:n], w_hh, b_hh, w_hr)
            c = cy if n == batch else cat([cy, c[n:]])
        elif mode == "GRU":
            hy = _gru_step(gx[t, :n], hx, w_hh, b_hh)
        else:
            hy = _rnn_step(gx[t, :n], hx, w_hh, b_hh, mode == "RNN_RELU")
        if n == batch:
            h = ys[t] = hy
        else:
            h = cat([hy, h[n:]])
            ys[t] = cat([hy, hy.new_zeros((batch - n, hy.shape[1]))])
    return stack(ys), h, c


# ------------------------------------------------------------------------ array kernels


def _sigmoid_(a):
    """σ(a) in place, as (1 + tanh(a / 2)) / 2: exp(-a) would overflow for very negative a."""
    xp = backend.array_module(a)
    a *= 0.5
    xp.tanh(a, out=a)
    a += 1
    a *= 0.5


def _forward_rnn(k):
    """Elman RNN steps; ``k`` holds the layer's arrays and receives what backward needs."""
    xp, relu = k.xp, k.mode == "RNN_RELU"
    for s, t, n in k.schedule:
        h = k.hs[s + 1, :n]
        times_transposed(k.hs[s, :n], k.w_hh, out=h)
        h += k.gx[t, :n, 0]
        if relu:
            xp.maximum(h, 0, out=h)
        else:
            xp.tanh(h, out=h)
        k.carry(s, n)


def _backward_rnn(k, dh, gy):
    xp = k.xp
    h = k.hs[1:]
    # the activation's derivative at every step at once: relu' = [h > 0], tanh' = 1 - h²
    slope = (h > 0).astype(h.dtype) if k.mode == "RNN_RELU" else 1 - h * h
    dgates = k.dgx = k.dgh = xp.zeros_like(k.gx)
    for s, t, n in reversed(k.schedule):
        d = dh[:n]
        d += gy[t, :n]
        xp.multiply(d, slope[s, :n], out=dgates[s, :n, 0])
        xp.matmul(dgates[s, :n, 0], k.w_hh, out=d)


def _fused(k):
    """Whether a step's element-wise work runs as one CUDA kernel (see _cuda)."""
    return k.xp is not np and k.gx.dtype in (np.float32, np.float64)


def _forward_lstm(k):
    xp = k.xp
    k.gates = xp.zeros_like(k.gx)  # activated i, f, g, o (zero rows once a sequence ends)
    k.tanh_c = xp.zeros_like(k.gx[:, :, 0])
    k.raw = None if k.w_hr is None else xp.zeros_like(k.tanh_c)  # o * tanh(c) before w_hr
    fused = _fused(k)
    for s, t, n in k.schedule:
        g = k.gates[s, :n]
        times_transposed(k.hs[s, :n], k.w_hh, out=g.reshape(n, -1))
        c, tc = k.cs[s + 1, :n], k.tanh_c[s, :n]
        h = k.hs[s + 1, :n] if k.raw is None else k.raw[s, :n]
        if fused:
            _cuda.lstm_cell(g, k.gx[t, :n], k.cs[s, :n], c, tc, h)
        else:
            g += k.gx[t, :n]
            _sigmoid_(g[:, :2])
            xp.tanh(g[:, 2], out=g[:, 2])
            _sigmoid_(g[:, 3])
            i, f, gg, o = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
            xp.multiply(f, k.cs[s, :n], out=c)
            c += i * gg
            xp.tanh(c, out=tc)
            xp.multiply(o, tc, out=h)
        if k.raw is not None:
            xp.matmul(h, k.w_hr.T, out=k.hs[s + 1, :n])
        k.carry(s, n)


def _backward_lstm(k, dh, gy, dc):
    xp = k.xp
    i, f, g, o = (k.gates[:, :, j] for j in range(4))
    tc = k.tanh_c
    # h = o tanh(c), c = f c_prev + i g, σ' = σ (1 - σ), tanh' = 1 - tanh²: every factor
    # that does not depend on the incoming gradient, for all steps at once
    dc_dh = o * (1 - tc * tc)
    slopes = xp.stack(
        [g * i * (1 - i), k.cs[:-1] * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], axis=2
    )
    dgates = k.dgx = k.dgh = xp.zeros_like(k.gates)
    k.dproj = None if k.raw is None else xp.zeros_like(k.hs[1:])  # gradient at w_hr's output
    fused = k.raw is None and _fused(k)
    for s, t, n in reversed(k.schedule):
        dg = dgates[s, :n]
        if fused:
            args = gy[t, :n], dc_dh[s, :n], slopes[s, :n], k.gates[s, :n]
            _cuda.lstm_cell_backward(*args, dh[:n], dc[:n], dg)
        else:
            d = dh[:n]
            d += gy[t, :n]
            if k.raw is not None:
                k.dproj[s, :n] = d
                d = d @ k.w_hr
            dcn = dc[:n]
            dcn += d * dc_dh[s, :n]
            xp.multiply(dcn[:, None], slopes[s, :n, :3], out=dg[:, :3])  # i, f, g through c
            xp.multiply(d, slopes[s, :n, 3], out=dg[:, 3])  # o
            dcn *= f[s, :n]
        xp.matmul(dg.reshape(n, -1), k.w_hh, out=dh[:n])


def _forward_gru(k):
    xp = k.xp
    k.gh = xp.zeros_like(k.gx)  # W_hh h + b_hh: r multiplies its n block
    k.rz = xp.zeros_like(k.gx[:, :, :2])
    k.new = xp.zeros_like(k.gx[:, :, 0])  # n
    for s, t, n in k.schedule:
        h, gh, rz, m = k.hs[s, :n], k.gh[s, :n], k.rz[s, :n], k.new[s, :n]
        times_transposed(h, k.w_hh, out=gh.reshape(n, -1))
        if k.b_hh is not None:
            gh += k.b_hh.reshape(gh.shape[1:])
        xp.add(k.gx[t, :n, :2], gh[:, :2], out=rz)
        _sigmoid_(rz)
        xp.multiply(rz[:, 0], gh[:, 2], out=m)
        m += k.gx[t, :n, 2]
        xp.tanh(m, out=m)
        hy = k.hs[s + 1, :n]  # h' = (1 - z) n + z h = n + z (h - n)
        xp.subtract(h, m, out=hy)
        hy *= rz[:, 1]
        hy += m
        k.carry(s, n)


def _backward_gru(k, dh, gy):
    xp = k.xp
    r, z, m = k.rz[:, :, 0], k.rz[:, :, 1], k.new
    # the factors that do not depend on the incoming gradient, for all steps at once
    dn_dh = (1 - z) * (1 - m * m)  # through n = tanh(...), pre-activation
    dz_dh = (k.hs[:-1] - m) * z * (1 - z)
    dr_dn = k.gh[:, :, 2] * r * (1 - r)
    dgx = k.dgx = xp.zeros_like(k.gx)
    dgh = k.dgh = xp.zeros_like(k.gx)
    for s, t, n in reversed(k.schedule):
        d = dh[:n]
        d += gy[t, :n]
        dn = dgx[s, :n, 2]
        xp.multiply(d, dn_dh[s, :n], out=dn)
        xp.multiply(dn, dr_dn[s, :n], out=dgh[s, :n, 0])
        xp.multiply(d, dz_dh[s, :n], out=dgh[s, :n, 1])
        xp.multiply(dn, r[s, :n], out=dgh[s, :n, 2])
        d *= z[s, :n]
        d += dgh[s, :n].reshape(n, -1) @ k.w_hh
    dgx[:, :, :2] = dgh[:, :, :2]  # r and z enter as the sum of both projections


class _Kernel:
    """The arrays of one layer-direction run, shared by its forward and backward loops."""

    def __init__(self, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
        self.xp = xp = backend.array_module(x)
        self.mode, self.reverse, self.batch_sizes = mode, reverse, batch_sizes
        self.w_hh, self.b_hh, self.w_hr = w_hh, b_hh, w_hr
        steps, batch = x.shape[:2]
        self.schedule = _schedule(steps, batch, reverse, batch_sizes)
        # every time step's input projection in one GEMM; LSTM and the Elman RNN add both
        # biases here, GRU keeps b_hh inside, where r multiplies W_hn h + b_hn
        bias = b_ih
        if b_hh is not None and mode != "GRU":
            bias = b_hh if b_ih is None else b_ih + b_hh
        gx = x.reshape(steps * batch, -1) @ w_ih.T
        if bias is not None:
            gx += bias
        # gates as (T, B, gates, H), so that kernels name a gate by its block number
        self.gx = gx.reshape(steps, batch, GATES[mode], -1)
        self.hs = xp.empty((steps + 1, *h0.shape), x.dtype)  # states in processing order
        self.hs[0] = h0
        if c0 is not None:
            self.cs = xp.empty((steps + 1, *c0.shape), x.dtype)
            self.cs[0] = c0
        if mode == "LSTM":
            _forward_lstm(self)
        elif mode == "GRU":
            _forward_gru(self)
        else:
            _forward_rnn(self)

    def carry(self, s, n):
        """Rows past the ``n`` running sequences keep their state through step ``s``."""
        if n < self.hs.shape[1]:
            self.hs[s + 1, n:] = self.hs[s, n:]
            if self.mode == "LSTM":
                self.cs[s + 1, n:] = self.cs[s, n:]

    def output(self):
        """``y`` in time order: each step's state, zeros where a sequence is not running."""
        y = self.hs[1:]
        y = (y[::-1] if self.reverse else y).copy()
        if self.batch_sizes is not None:
            xp = self.xp
            lengths = xp.asarray(self.batch_sizes)[:, None]
            y *= (xp.arange(y.shape[1]) < lengths)[..., None]
        return y

    def backward(self, gy, ghn, gcn):
        """BPTT: ``(dh0, dc0)``; leaves the gate gradients in ``dgx`` / ``dgh``."""
        dh = ghn.copy()
        if self.mode == "LSTM":
            dc = gcn.copy()
            _backward_lstm(self, dh, gy, dc)
            return dh, dc
        if self.mode == "GRU":
            _backward_gru(self, dh, gy)
        else:
            _backward_rnn(self, dh, gy)
        return dh, None


def _rows(a):
    """``(T, B, ...)`` as ``(T * B, features)``: the rows of a GEMM over all steps."""
    return a.reshape(a.shape[0] * a.shape[1], -1)


class RecurrentLayer(Function):
    """One direction of one recurrent layer over a time-major sequence.

    Inputs ``x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr`` (``c0`` and ``w_hr`` for LSTM, the
    biases optional); outputs ``(y, h_n, c_n)`` for LSTM, else ``(y, h_n)``.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, reverse, batch_sizes):
        k = _Kernel(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes)
        ctx.kernel = k
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        y, hn = k.output(), k.hs[-1].copy()
        return (y, hn, k.cs[-1].copy()) if mode == "LSTM" else (y, hn)

    @staticmethod
    def backward(ctx, gy, ghn, gcn=None):
        if _grad_mode.enabled:
            raise RuntimeError(
                "double backward (create_graph=True) through RNN, LSTM and GRU layers is not "
                "supported: their backward runs on arrays. For higher-order gradients, step "
                "through the sequence with RNNCell, LSTMCell or GRUCell."
            )
        k = ctx.kernel
        need = ctx.needs_input_grad[:8]
        x, _, _, w_ih, *_ = (None if t is None else t._data for t in ctx.saved_tensors)
        dh0, dc0 = k.backward(gy._data, ghn._data, None if gcn is None else gcn._data)
        dgx = _rows(k.dgx[::-1] if k.reverse else k.dgx)  # time order, to pair with x
        dgh = _rows(k.dgh)  # processing order, as the states
        need_x, need_h0, need_c0, need_wih, need_whh, need_bih, need_bhh, need_whr = need
        grads = (
            (dgx @ w_ih).reshape(*x.shape[:2], -1) if need_x else None,
            dh0 if need_h0 else None,
            dc0 if need_c0 else None,
            dgx.T @ x.reshape(-1, x.shape[-1]) if need_wih else None,
            dgh.T @ k.hs[:-1].reshape(-1, k.hs.shape[-1]) if need_whh else None,
            dgx.sum(0) if need_bih else None,
            dgh.sum(0) if need_bhh else None,
            _rows(k.dproj).T @ _rows(k.raw) if need_whr else None,
        )
        return tuple(None if g is None else Tensor._make(g) for g in grads)


# ------------------------------------------------------------------------- the networks


def _check_dtypes(input, params):
    for w in params:
        if w.dtype is not input.dtype:
            raise RuntimeError(
                "mat1 and mat2 must have the same dtype, but got "
                f"{input.dtype.scalar_name} and {w.dtype.scalar_name}"
            )


def stacked(
    mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_sizes
):
    """Run the layers over a time-major ``(T, B, features)`` input.

    ``hx`` is ``h_0`` (``(layers * directions, B, H_out)``), or ``(h_0, c_0)`` for LSTM;
    ``params`` is torch's flat list: per layer and direction ``w_ih, w_hh`` then, with
    ``has_biases``, ``b_ih, b_hh``, then for a projected LSTM ``w_hr``. ``batch_sizes``: the
    number of sequences running at each time (sorted longest first), or None.

    Returns ``(output, h_n)``, with ``h_n = (h_n, c_n)`` for LSTM.
    """
    _check_dtypes(input, params)
    directions = 2 if bidirectional else 1
    per = len(params) // (num_layers * directions)
    projected = per == (5 if has_biases else 3)
    h0, c0 = hx if mode == "LSTM" else (hx, None)
    h0 = h0.unbind(0)
    c0 = None if c0 is None else c0.unbind(0)
    hn, cn = [], []
    x = input
    for layer in range(num_layers):
        outs = []
        for direction in range(directions):
            j = layer * directions + direction
            w = params[j * per : (j + 1) * per]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            result = RecurrentLayer.apply(
                x,
                h0[j],
                None if c0 is None else c0[j],
                w[0],
                w[1],
                b_ih,
                b_hh,
                w[-1] if projected else None,
                mode,
                direction == 1,
                batch_sizes,
            )
            outs.append(result[0])
            hn.append(result[1])
            if mode == "LSTM":
                cn.append(result[2])
        x = outs[0] if directions == 1 else cat(outs, 2)
        if dropout and train and layer < num_layers - 1:
            x = dropout_fn(x, dropout)
    h_n = stack(hn)
    return x, ((h_n, stack(cn)) if mode == "LSTM" else h_n)


def _sequence(mode):
    def run(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        if batch_first:
            input = input.transpose(0, 1)
        output, h_n = stacked(
            mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, None
        )
        if batch_first:
            output = output.transpose(0, 1)
        return (output, *h_n) if mode == "LSTM" else (output, h_n)

    run.__name__ = mode.lower()
    return run


rnn_tanh = _sequence("RNN_TANH")
rnn_tanh.__doc__ = """A multi-layer Elman RNN with tanh over a padded sequence (``torch.rnn_tanh``).

Args:
    input: ``(T, B, input_size)`` (``(B, T, input_size)`` with ``batch_first``).
    hx: ``(num_layers * directions, B, hidden_size)`` initial states.
    params: per layer and direction ``w_ih, w_hh`` (then ``b_ih, b_hh`` with ``has_biases``).
    has_biases, num_layers, dropout, train, bidirectional, batch_first: as ``nn.RNN``.

Returns:
    ``(output, h_n)``.
"""
rnn_relu = _sequence("RNN_RELU")
rnn_relu.__doc__ = "``rnn_tanh`` with ReLU in place of tanh (``torch.rnn_relu``)."
lstm = _sequence("LSTM")
lstm.__doc__ = """A multi-layer LSTM over a padded sequence (``torch.lstm``): as ``rnn_tanh``, with
``hx = (h_0, c_0)`` and ``w_hr`` last in each layer's params for a projected LSTM; returns
``(output, h_n, c_n)``."""
gru = _sequence("GRU")
gru.__doc__ = "A multi-layer GRU over a padded sequence (``torch.gru``), as ``rnn_tanh``."


# ---------------------------------------------------------------------------- the cells


def _check_cell(input, hx, w_ih, mode):
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}"
        )
    hidden = w_ih.shape[0] // GATES[mode]
    for k, h in enumerate(hx):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(
                f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size {h.shape[0]}"
            )
        if h.shape[1] != hidden:
            raise RuntimeError(
                f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, expected {hidden}"
            )


@autocast_op("rnn_tanh_cell")
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step: ``tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` for ``(B, input_size)``
    input and ``(B, hidden_size)`` state."""
    _check_cell(input, (hx,), w_ih, "RNN_TANH")
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=False)


@autocast_op("rnn_relu_cell")
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``rnn_tanh_cell`` with ReLU in place of tanh."""
    _check_cell(input, (hx,), w_ih, "RNN_RELU")
    return _rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, relu=True)


@autocast_op("lstm_cell")
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``hx = (h, c)``, returns ``(h', c')``."""
    _check_cell(input, hx, w_ih, "LSTM")
    return _lstm_step(linear(input, w_ih, b_ih), hx[0], hx[1], w_hh, b_hh)


@autocast_op("gru_cell")
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step; returns ``h'``."""
    _check_cell(input, (hx,), w_ih, "GRU")
    return _gru_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)
