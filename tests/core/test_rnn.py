"""RNN, LSTM, GRU and their cells; packed sequences.

Forward passes are checked against numpy written here one time step at a time (torch's
equations), gradients by finite differences on tiny float64 networks, and the fused
sequence kernel against its composed reference (the same layer made of per-step ember ops).
"""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import grad, gradcheck, gradgradcheck
from ember.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from ember.ops import rnn as ops_rnn
from ember.testing import assert_close

rng = np.random.default_rng(0)

MODULES = {"RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
MODES = list(MODULES)


def _module(mode, *args, device="cpu", **kwargs):
    if mode == "RNN_RELU":
        kwargs["nonlinearity"] = "relu"
    return MODULES[mode](*args, dtype=ember.float64, device=device, **kwargs)


# ------------------------------------------------------------------- numpy references


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One time step of torch's equations."""
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    if mode == "GRU":
        (ir, iz, in_), (hr, hz, hn) = np.split(gi, 3, axis=-1), np.split(gh, 3, axis=-1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def _np_network(module, x, h0, c0=None):
    """A whole network over ``x`` ``(T, B, I)``, one layer, direction and step at a time."""
    p = {k: v.numpy(force=True) for k, v in module.state_dict().items()}
    directions = 2 if module.bidirectional else 1
    hn, cn = [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(directions):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            k = layer * directions + d
            w_ih, w_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
            b_ih = p.get("bias_ih" + sfx, np.zeros(w_ih.shape[0]))
            b_hh = p.get("bias_hh" + sfx, np.zeros(w_ih.shape[0]))
            h, c = h0[k], None if c0 is None else c0[k]
            ys = [None] * x.shape[0]
            for t in reversed(range(x.shape[0])) if d else range(x.shape[0]):
                h, c = _np_step(
                    module.mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh, p.get("weight_hr" + sfx)
                )
                ys[t] = h
            outs.append(np.stack(ys))
            hn.append(h)
            cn.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(hn), (None if c0 is None else np.stack(cn))


def _states(module, batch):
    directions = 2 if module.bidirectional else 1
    out_size = module.proj_size or module.hidden_size
    h0 = rng.standard_normal((module.num_layers * directions, batch, out_size))
    c0 = rng.standard_normal((module.num_layers * directions, batch, module.hidden_size))
    return h0, (c0 if module.mode == "LSTM" else None)


def _run(module, x, h0, c0, device="cpu"):
    """The module on numpy inputs: ``(output, h_n, c_n or None)``."""
    t = lambda a: ember.tensor(a, device=device)  # noqa: E731
    hx = t(h0) if c0 is None else (t(h0), t(c0))
    out, hidden = module(t(x), hx)
    h, c = hidden if c0 is not None else (hidden, None)
    return out, h, c


# ------------------------------------------------------------------------- the networks


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_network_matches_numpy(mode, bidirectional, device):
    m = _module(mode, 3, 4, num_layers=2, bidirectional=bidirectional, device=device)
    x = rng.standard_normal((5, 2, 3))
    h0, c0 = _states(m, 2)
    out, h, c = _run(m, x, h0, c0, device)
    ref_out, ref_h, ref_c = _np_network(m, x, h0, c0)
    assert_close(out, ref_out)
    assert_close(h, ref_h)
    if c0 is not None:
        assert_close(c, ref_c)


def test_lstm_projection_and_no_bias_match_numpy():
    m = _module("LSTM", 3, 5, num_layers=2, bidirectional=True, proj_size=2, bias=False)
    x = rng.standard_normal((4, 3, 3))
    h0, c0 = _states(m, 3)
    assert h0.shape == (4, 3, 2) and c0.shape == (4, 3, 5)
    out, h, c = _run(m, x, h0, c0)
    ref = _np_network(m, x, h0, c0)
    assert out.shape == (4, 3, 4)
    for a, e in zip((out, h, c), ref):
        assert_close(a, e)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_default_state_batch_first_and_unbatched(mode):
    m = _module(mode, 3, 4, batch_first=True)
    x = rng.standard_normal((2, 5, 3))  # (batch, time, features)
    out, hidden = m(ember.tensor(x))
    h0, c0 = np.zeros((1, 2, 4)), (np.zeros((1, 2, 4)) if mode == "LSTM" else None)
    ref_out, ref_h, _ = _np_network(m, x.transpose(1, 0, 2), h0, c0)
    assert_close(out, ref_out.transpose(1, 0, 2))
    assert_close(hidden[0] if mode == "LSTM" else hidden, ref_h)
    # an unbatched (time, features) sequence is one batch row, squeezed back out
    single, hidden = m(ember.tensor(x[1]))
    assert single.shape == (5, 4)
    assert_close(single, ref_out[:, 1])
    assert (hidden[0] if mode == "LSTM" else hidden).shape == (1, 4)


@pytest.mark.parametrize("mode", MODES)
def test_network_gradcheck(mode):
    m = _module(mode, 2, 3, bidirectional=True)
    x = ember.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0, c0 = _states(m, 2)
    hx = [ember.tensor(h0, requires_grad=True)]
    if c0 is not None:
        hx.append(ember.tensor(c0, requires_grad=True))

    def f(x, *args):
        out, hidden = m(x, tuple(args[:2]) if mode == "LSTM" else args[0])
        return (out, *hidden) if mode == "LSTM" else (out, hidden)

    assert gradcheck(f, (x, *hx, *m.parameters()))


def test_two_layer_lstm_with_projection_gradcheck():
    m = _module("LSTM", 2, 3, num_layers=2, proj_size=2)
    x = ember.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x, *p: (m(x)[0], *m(x)[1]), (x, *m.parameters()))


def test_double_backward_is_refused_clearly():
    m = _module("GRU", 2, 3)
    x = ember.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    out, _ = m(x)
    with pytest.raises(RuntimeError, match=r"double backward .* not supported"):
        grad(out.sum(), x, create_graph=True)


def test_functional_forms_match_the_modules():
    m = _module("LSTM", 3, 4, num_layers=2, bidirectional=True)
    x = ember.tensor(rng.standard_normal((2, 5, 3)))  # batch first
    h0, c0 = (ember.tensor(a) for a in _states(m, 2))
    args = (m._flat_weights, True, 2, 0.0, False, True, True)
    out, h, c = ops_rnn.lstm(x, (h0, c0), *args)
    m.batch_first = True
    expected_out, (expected_h, expected_c) = m(x, (h0, c0))
    for a, e in zip((out, h, c), (expected_out, expected_h, expected_c)):
        assert_close(a, e)
    g = _module("GRU", 3, 4)
    h0 = ember.tensor(_states(g, 2)[0])
    out, h = ops_rnn.gru(x, h0, g._flat_weights, True, 1, 0.0, False, False, True)
    assert_close(h, g(x.transpose(0, 1), h0)[1])
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        ops_rnn.gru(x.float(), h0.float(), g._flat_weights, True, 1, 0.0, False, False, True)


def test_state_dict_keys_shapes_and_init():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert list(shapes)[:5] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_hr_l0",
    ]
    assert shapes["weight_ih_l0_reverse"] == (80, 10)
    assert shapes["weight_hh_l0"] == (80, 5)
    assert shapes["weight_ih_l1"] == (80, 10)  # two directions of proj_size outputs
    assert shapes["weight_hr_l1_reverse"] == (5, 20)
    assert len(shapes) == 20
    g = nn.GRU(4, 6, bias=False)
    assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == {
        "weight_ih_l0": (18, 4),
        "weight_hh_l0": (18, 6),
    }
    bound = 1 / math.sqrt(20)  # every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert len(m.all_weights) == 4 and len(m._flat_weights) == 20


def test_reprs():
    assert repr(nn.LSTM(10, 20, 2)) == "LSTM(10, 20, num_layers=2)"
    assert repr(nn.GRU(3, 4, bias=False, batch_first=True, dropout=0.5, num_layers=2)) == (
        "GRU(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5)"
    )
    assert repr(nn.LSTM(3, 4, proj_size=2, bidirectional=True)) == (
        "LSTM(3, 4, proj_size=2, bidirectional=True)"
    )
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_dropout_between_layers():
    m = _module("GRU", 3, 4, num_layers=2, dropout=1.0)
    x = rng.standard_normal((3, 2, 3))
    h0, _ = _states(m, 2)
    m.eval()  # no dropout outside training
    assert_close(_run(m, x, h0, None)[0], _np_network(m, x, h0)[0])
    m.train()  # p = 1: the second layer sees zeros
    out = _run(m, x, h0, None)[0]
    p = {k: v.numpy() for k, v in m.state_dict().items()}
    layer2 = [p[f"{k}_l1"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    h = h0[1]
    for t in range(3):
        h, _ = _np_step("GRU", np.zeros((2, 4)), h, None, *layer2)
        assert_close(out[t], h)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_network_errors():
    m = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(ember.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 1D tensor"):
        nn.RNN(3, 4)(ember.randn(3))
    with pytest.raises(RuntimeError, match=r"input\.size\(-1\) must be equal to input_size"):
        m(ember.randn(5, 2, 2))
    with pytest.raises(ValueError, match=r"input must have the type ember\.float32, got type"):
        m(ember.randn(5, 2, 3, dtype=ember.float64))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"
    ):
        m(ember.randn(5, 2, 3), (ember.zeros(1, 3, 4), ember.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D but got"):
        m(ember.randn(5, 2, 3), (ember.zeros(2, 4), ember.zeros(2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 2, 5\]"):
        nn.GRU(3, 4)(ember.randn(5, 2, 3), ember.zeros(1, 2, 5))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)


# ------------------------------------------------------------ fused kernel vs reference


@pytest.mark.parametrize("mode", MODES + ["LSTM_PROJ"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, (3, 3, 2, 1)])
def test_fused_layer_matches_composed_reference(mode, reverse, batch_sizes, device):
    proj = mode == "LSTM_PROJ"
    mode = "LSTM" if proj else mode
    gates, hidden, out_size = ops_rnn.GATES[mode], 3, (2 if proj else 3)

    def t(*shape):
        return ember.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    inputs = [
        t(4, 3, 2),
        t(3, out_size),
        t(3, hidden) if mode == "LSTM" else None,
        t(gates * hidden, 2),
        t(gates * hidden, out_size),
        t(gates * hidden),
        t(gates * hidden),
        t(out_size, hidden) if proj else None,
    ]
    fused = ops_rnn.RecurrentLayer.apply(*inputs, mode, reverse, batch_sizes)
    composed = ops_rnn._composed_layer(mode, *inputs, reverse, batch_sizes)[: len(fused)]
    for a, e in zip(fused, composed):
        assert_close(a, e)
    seeds = [ember.tensor(rng.standard_normal(o.shape), device=device) for o in fused]
    wrt = [x for x in inputs if x is not None]
    for a, e in zip(grad(fused, wrt, seeds), grad(composed, wrt, seeds)):
        assert_close(a, e)


# -------------------------------------------------------------------- packed sequences


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_packed_input_matches_each_sequence_alone(mode):
    m = _module(mode, 2, 3, num_layers=2, bidirectional=True)
    lengths = [2, 4, 1]
    seqs = [ember.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in lengths]
    packed = pack_sequence(seqs, enforce_sorted=False)
    out, hidden = m(packed)
    assert isinstance(out, PackedSequence) and out.data.shape == (7, 6)
    padded, out_lengths = pad_packed_sequence(out)
    assert out_lengths.tolist() == lengths
    h_n = hidden[0] if mode == "LSTM" else hidden
    loss = padded.sum() + h_n.sum()
    for b, s in enumerate(seqs):
        alone_out, alone_hidden = m(s.detach().unsqueeze(1))
        alone_h = alone_hidden[0] if mode == "LSTM" else alone_hidden
        assert_close(padded[: lengths[b], b], alone_out[:, 0])
        assert_close(padded[lengths[b] :, b], np.zeros((4 - lengths[b], 6)))  # zeros past the end
        assert_close(h_n[:, b], alone_h[:, 0])
        if mode == "LSTM":
            assert_close(hidden[1][:, b], alone_hidden[1][:, 0])
    # gradients reach each sequence as if it had run alone
    expected = []
    for s in seqs:
        alone = s.detach().unsqueeze(1).requires_grad_()
        alone_out, alone_hidden = m(alone)
        alone_h = alone_hidden[0] if mode == "LSTM" else alone_hidden
        expected.append(grad(alone_out.sum() + alone_h.sum(), alone)[0][:, 0])
    for g, e in zip(grad(loss, seqs), expected):
        assert_close(g, e)


def test_packed_input_gradcheck_and_initial_state_order():
    m = _module("LSTM", 2, 3)
    x = ember.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0, c0 = (ember.tensor(a, requires_grad=True) for a in _states(m, 2))

    def f(x, h0, c0):
        out, (h, c) = m(pack_padded_sequence(x, [2, 3], enforce_sorted=False), (h0, c0))
        return pad_packed_sequence(out)[0], h, c

    assert gradcheck(f, (x, h0, c0))
    # hx is given in the caller's batch order, as are h_n and c_n
    _, (h, c) = m(pack_padded_sequence(x, [2, 3], enforce_sorted=False), (h0, c0))
    for b, n in enumerate([2, 3]):
        _, (hb, cb) = m(x[:n, b : b + 1], (h0[:, b : b + 1], c0[:, b : b + 1]))
        assert_close(h[:, b : b + 1], hb)
        assert_close(c[:, b : b + 1], cb)


def test_pack_layout_is_torchs(device):
    a = ember.tensor([1.0, 2.0, 3.0], device=device)
    b = ember.tensor([4.0, 5.0], device=device)
    c = ember.tensor([6.0], device=device)
    packed = pack_sequence([a, b, c])
    assert packed.data.tolist() == [1.0, 4.0, 6.0, 2.0, 5.0, 3.0]
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.batch_sizes.dtype == ember.int64 and packed.batch_sizes.device.type == "cpu"
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    unsorted = pack_sequence([b, a, c], enforce_sorted=False)
    assert unsorted.data.tolist() == [1.0, 4.0, 6.0, 2.0, 5.0, 3.0]
    assert unsorted.sorted_indices.tolist() == [1, 0, 2]
    assert unsorted.unsorted_indices.tolist() == [1, 0, 2]
    data, _, sorted_indices, _ = unsorted  # a namedtuple
    assert data is unsorted.data and sorted_indices is unsorted.sorted_indices
    assert [s.tolist() for s in unpack_sequence(unsorted)] == [[4.0, 5.0], [1.0, 2.0, 3.0], [6.0]]
    assert unsorted.to(ember.float64).data.dtype == ember.float64
    assert unsorted.to(ember.float32) is unsorted


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip(batch_first):
    lengths = np.array([3, 5, 1, 5])
    padded = rng.standard_normal((4, 5, 2))  # batch-major here, zeros past each length
    padded[np.arange(5) >= lengths[:, None]] = 0
    x = ember.tensor(padded if batch_first else padded.transpose(1, 0, 2), requires_grad=True)
    packed = pack_padded_sequence(x, ember.tensor(lengths), batch_first, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [4, 3, 3, 2, 2]
    again, got_lengths = pad_packed_sequence(packed, batch_first=batch_first)
    assert got_lengths.tolist() == lengths.tolist() and got_lengths.dtype == ember.int64
    assert_close(again, x.detach())
    longer, _ = pad_packed_sequence(packed, batch_first, padding_value=-1.0, total_length=7)
    expected = np.concatenate([padded, np.zeros((4, 2, 2))], axis=1)
    expected[np.arange(7) >= lengths[:, None]] = -1
    assert_close(longer, expected if batch_first else expected.transpose(1, 0, 2))
    # gradients flow back through both
    assert gradcheck(
        lambda x: pad_packed_sequence(pack_padded_sequence(x, [5, 5, 3, 1]))[0],
        (ember.tensor(rng.standard_normal((5, 4, 2)), requires_grad=True),),
    )


def test_pack_errors():
    x = ember.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(RuntimeError, match="Expected `len\\(lengths\\)` to be equal to batch"):
        pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match="a length \\(5\\) is greater than the sequence dim"):
        pack_padded_sequence(x, [5, 2, 1])
    packed = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length"):
        pad_packed_sequence(packed, total_length=3)


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(padding_side, batch_first, device):
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    out = pad_sequence(
        [ember.tensor(a, device=device) for a in arrays],
        batch_first=batch_first,
        padding_value=9.0,
        padding_side=padding_side,
    )
    expected = np.full((3, 4, 2), 9.0)
    for b, a in enumerate(arrays):
        if padding_side == "right":
            expected[b, : len(a)] = a
        else:
            expected[b, 4 - len(a) :] = a
    assert_close(out, expected if batch_first else expected.transpose(1, 0, 2))


def test_pad_unpad_round_trip_and_errors():
    seqs = [ember.tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in (3, 1, 2)]
    padded = pad_sequence(seqs)
    assert padded.shape == (3, 3, 3)
    for s, u in zip(seqs, unpad_sequence(padded, ember.tensor([3, 1, 2]))):
        assert_close(u, s.detach())
    assert gradcheck(lambda a, b, c: pad_sequence([a, b, c], batch_first=True), tuple(seqs))
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(ValueError, match="Expected padding_side to be one of left or right"):
        pad_sequence(seqs, padding_side="middle")


# ---------------------------------------------------------------------------- the cells


CELLS = {"RNN_TANH": nn.RNNCell, "RNN_RELU": nn.RNNCell, "LSTM": nn.LSTMCell, "GRU": nn.GRUCell}


@pytest.mark.parametrize("mode", MODES)
def test_cell_matches_numpy_and_second_derivatives(mode, device):
    kwargs = {"nonlinearity": "relu"} if mode == "RNN_RELU" else {}
    cell = CELLS[mode](2, 3, dtype=ember.float64, device=device, **kwargs)
    p = [w.numpy(force=True) for w in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    x, h, c = rng.standard_normal((4, 2)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    t = lambda a: ember.tensor(a, device=device, requires_grad=True)  # noqa: E731
    hx = (t(h), t(c)) if mode == "LSTM" else t(h)
    ref_h, ref_c = _np_step(mode, x, h, c, *p)
    out = cell(t(x), hx)
    assert_close(out[0] if mode == "LSTM" else out, ref_h)
    if mode == "LSTM":
        assert_close(out[1], ref_c)
    # unbatched, and zeros when hx is omitted
    single = cell(t(x[0]))
    zero = np.zeros((1, 3))
    assert_close(
        single[0] if mode == "LSTM" else single, _np_step(mode, x[:1], zero, zero, *p)[0][0]
    )
    inputs = (t(x), *(hx if mode == "LSTM" else (hx,)))

    def f(x, *state):
        return cell(x, tuple(state) if mode == "LSTM" else state[0])

    assert gradcheck(f, inputs)
    if mode != "RNN_RELU":  # relu's second derivative is zero almost everywhere anyway
        assert gradgradcheck(f, inputs)


def test_cell_errors():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D"):
        cell(ember.randn(1, 2, 3))
    with pytest.raises(ValueError, match="LSTMCell: Expected hx\\[1\\] to be 1D or 2D, got 3D"):
        cell(ember.randn(2, 3), (ember.randn(2, 4), ember.randn(1, 2, 4)))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2 expected 3"):
        cell(ember.randn(2, 2))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.GRUCell(3, 4)(ember.randn(2, 3), ember.randn(3, 4))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5"):
        nn.RNNCell(3, 4)(ember.randn(2, 3), ember.randn(2, 5))
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        nn.RNNCell(3, 4, nonlinearity="gelu")(ember.randn(2, 3))
