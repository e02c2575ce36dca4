"""Shape operations: forward against numpy, gradients by finite differences, view versus copy
semantics, torch's chunk sizes, promotion and errors."""

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_op

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape)


def _shares(a, b):
    return np.shares_memory(a._data, b._data)


# ------------------------------------------------------------------------ forward and grads

# (name, op on tensors, numpy reference, input shape)
CASES = [
    ("reshape", lambda x: x.reshape(3, -1), lambda x: x.reshape(3, -1), (2, 3, 2)),
    ("reshape_0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), ()),
    ("view", lambda x: x.view(-1), lambda x: x.reshape(-1), (2, 3)),
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), (2, 3, 2)),
    ("flatten_mid", lambda x: ember.flatten(x, 1, 2), lambda x: x.reshape(2, 6, 1), (2, 3, 2, 1)),
    ("flatten_0d", lambda x: x.flatten(), lambda x: x.reshape(1), ()),
    ("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda x: x.reshape(2, 2, 3), (2, 6)),
    ("squeeze", lambda x: x.squeeze(), lambda x: x.squeeze(), (1, 3, 1, 2)),
    ("squeeze_dim", lambda x: x.squeeze(-2), lambda x: x.squeeze(2), (1, 3, 1, 2)),
    ("squeeze_tuple", lambda x: x.squeeze((0, 1)), lambda x: x.squeeze(0), (1, 3, 1, 2)),
    ("unsqueeze", lambda x: x.unsqueeze(-1), lambda x: x[..., None], (2, 3)),
    ("unsqueeze_0d", lambda x: ember.unsqueeze(x, 0), lambda x: x[None], ()),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), (2, 3, 4)),
    (
        "permute_neg",
        lambda x: ember.permute(x, (-1, 0, 1)),
        lambda x: x.transpose(2, 0, 1),
        (2, 3, 4),
    ),
    ("transpose", lambda x: x.transpose(0, -1), lambda x: x.swapaxes(0, 2), (2, 3, 4)),
    ("swapaxes", lambda x: ember.swapaxes(x, 0, 1), lambda x: x.swapaxes(0, 1), (2, 3)),
    ("swapdims", lambda x: x.swapdims(1, 0), lambda x: x.swapaxes(0, 1), (2, 3)),
    ("t", lambda x: x.t(), lambda x: x.T, (2, 3)),
    ("t_1d", lambda x: ember.t(x), lambda x: x, (3,)),
    ("T", lambda x: x.T, lambda x: x.T, (2, 3, 4)),
    ("mT", lambda x: x.mT, lambda x: x.swapaxes(-1, -2), (2, 3, 4)),
    ("movedim", lambda x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1), (2, 3, 4)),
    (
        "movedim_tuple",
        lambda x: ember.movedim(x, (0, 1), (2, 0)),
        lambda x: np.moveaxis(x, (0, 1), (2, 0)),
        (2, 3, 4),
    ),
    ("moveaxis", lambda x: ember.moveaxis(x, 1, 0), lambda x: np.moveaxis(x, 1, 0), (2, 3)),
    ("expand", lambda x: x.expand(2, -1, 3), lambda x: np.broadcast_to(x, (2, 4, 3)), (4, 1)),
    ("expand_0d", lambda x: x.expand(3), lambda x: np.broadcast_to(x, (3,)), ()),
    (
        "broadcast_to",
        lambda x: ember.broadcast_to(x, (2, 3)),
        lambda x: np.broadcast_to(x, (2, 3)),
        (3,),
    ),
    (
        "expand_as",
        lambda x: x.expand_as(ember.zeros(2, 3)),
        lambda x: np.broadcast_to(x, (2, 3)),
        (1, 3),
    ),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], (2, 4)),
    ("narrow_neg", lambda x: ember.narrow(x, -1, -3, 2), lambda x: x[:, 1:3], (2, 4)),
    ("select", lambda x: ember.select(x, 1, -1), lambda x: x[:, -1], (2, 4)),
    ("repeat", lambda x: x.repeat(2, 3), lambda x: np.tile(x, (2, 3)), (2, 3)),
    ("repeat_new_dims", lambda x: x.repeat(2, 1, 2), lambda x: np.tile(x, (2, 1, 2)), (3,)),
    ("repeat_0d", lambda x: x.repeat(3), lambda x: np.tile(x, 3), ()),
    ("tile", lambda x: x.tile(2), lambda x: np.tile(x, (1, 2)), (2, 3)),
    ("tile_fn", lambda x: ember.tile(x, (2, 1, 1)), lambda x: np.tile(x, (2, 1, 1)), (2, 3)),
    ("flip", lambda x: x.flip(0, 2), lambda x: np.flip(x, (0, 2)), (2, 3, 2)),
    ("flip_fn", lambda x: ember.flip(x, (-1,)), lambda x: x[:, ::-1], (2, 3)),
    ("fliplr", lambda x: ember.fliplr(x), np.fliplr, (2, 3)),
    ("flipud", lambda x: ember.flipud(x), np.flipud, (2, 3)),
    ("roll", lambda x: x.roll(1), lambda x: np.roll(x, 1), (2, 3)),
    ("roll_dim", lambda x: x.roll(-1, 1), lambda x: np.roll(x, -1, 1), (2, 3)),
    (
        "roll_dims",
        lambda x: ember.roll(x, (1, 2), (0, 1)),
        lambda x: np.roll(x, (1, 2), (0, 1)),
        (2, 3),
    ),
    ("tril", lambda x: x.tril(), np.tril, (3, 4)),
    ("tril_k", lambda x: ember.tril(x, -1), lambda x: np.tril(x, -1), (2, 3, 3)),
    ("triu", lambda x: x.triu(1), lambda x: np.triu(x, 1), (3, 4)),
    ("triu_batch", lambda x: ember.triu(x), np.triu, (2, 3, 2)),
    ("diag_1d", lambda x: x.diag(), np.diag, (3,)),
    ("diag_1d_k", lambda x: ember.diag(x, 1), lambda x: np.diag(x, 1), (3,)),
    ("diag_1d_neg", lambda x: ember.diag(x, -2), lambda x: np.diag(x, -2), (2,)),
    ("diag_2d", lambda x: x.diag(), np.diag, (3, 4)),
    ("diag_2d_k", lambda x: ember.diag(x, -1), lambda x: np.diag(x, -1), (3, 4)),
    ("diagonal", lambda x: x.diagonal(), np.diagonal, (3, 4)),
    (
        "diagonal_dims",
        lambda x: ember.diagonal(x, 1, 2, 0),
        lambda x: np.diagonal(x, 1, 2, 0),
        (3, 2, 4),
    ),
    ("diagonal_far", lambda x: x.diagonal(5), lambda x: np.diagonal(x, 5), (3, 4)),
    (
        "diag_embed",
        lambda x: ember.diag_embed(x, 1, 0, 2),
        lambda x: np.stack([np.diag(r, 1) for r in x], axis=1),
        (2, 3),
    ),
]


@pytest.mark.parametrize(("name", "op", "reference", "shape"), CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient(name, op, reference, shape):
    check_op(op, reference, _x(*shape))


@pytest.mark.parametrize(
    ("op", "shape"),
    [
        (lambda x: x.repeat(2, 1), (2, 3)),
        (lambda x: x.flip(1).roll(1, 0), (2, 3)),
        (lambda x: x.tril(), (3, 3)),
        (lambda x: x.diagonal(1), (3, 3)),
        (lambda x: ember.diag(x), (3,)),
        (lambda x: x[1:, ::2].T, (3, 4)),
        (lambda x: ember.cat([x, x * 2], 1), (2, 2)),
        (lambda x: ember.stack(x.unbind(1), 0), (2, 3)),
        (lambda x: x.split(2, 1)[1] * x.chunk(2, 1)[0][:, :1], (2, 4)),
    ],
)
def test_second_order(op, shape):
    x = ember.tensor(_x(*shape), requires_grad=True)
    assert ember.autograd.gradgradcheck(op, [x])


@pytest.mark.parametrize(
    ("op", "reference", "shape"),
    [
        (lambda x: x.permute(1, 0).reshape(-1), lambda x: x.T.reshape(-1), (2, 3)),
        (lambda x: x.expand(2, 3).flip(0), lambda x: np.broadcast_to(x, (2, 3))[::-1], (3,)),
        (lambda x: x.diagonal(-1), lambda x: np.diagonal(x, -1), (3, 3)),
        (lambda x: x.repeat(2, 1).roll(1, 1), lambda x: np.roll(np.tile(x, (2, 1)), 1, 1), (2, 3)),
        (
            lambda x: ember.cat(x.split([1, 2], 1)[::-1], 1),
            lambda x: np.concatenate([x[:, 1:], x[:, :1]], 1),
            (2, 3),
        ),
        (lambda x: ember.tril(x), np.tril, (3, 3)),
    ],
)
def test_on_device(op, reference, shape, device):
    check_op(op, reference, _x(*shape), device=device)


# -------------------------------------------------------------------------- views vs copies


def test_views_share_memory_and_see_writes():
    x = ember.arange(24.0).reshape(2, 3, 4)
    views = [
        x.reshape(6, 4),
        x.view(4, 6),
        x.flatten(),
        x.unflatten(2, (2, 2)),
        x.unsqueeze(0),
        x.permute(2, 0, 1),
        x.transpose(0, 1),
        x.T,
        x.movedim(0, 2),
        x.narrow(2, 1, 2),
        ember.select(x, 1, 0),
        x[0].expand(2, 3, 4),
        x.diagonal(0, 1, 2),
        *x.split(1, 1),
        *x.chunk(2, 2),
        *x.unbind(0),
    ]
    for v in views:
        assert _shares(v, x)
    x.add_(1)
    assert x.reshape(6, 4)[0, 0].item() == 1.0
    assert x.diagonal(0, 1, 2)[0, 1].item() == 6.0  # x[0, 1, 1] = 5 + 1


def test_diagonal_is_a_writable_view():
    x = ember.zeros(3, 4)
    x.diagonal().fill_(1)
    x.diagonal(1).add_(ember.tensor([1.0, 2.0, 3.0]))
    assert_close(x, np.eye(3, 4) + np.diag([1.0, 2.0, 3.0], 1)[:3, :4])


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.flip(0),
        lambda x: x.roll(1, 0),
        lambda x: x.repeat(1, 1),
        lambda x: x.tile((1,)),
        lambda x: x.tril(5),
        lambda x: x.diag(),
        lambda x: ember.cat([x]),
        lambda x: ember.stack([x])[0],
        lambda x: x[:, :1].repeat(1, 3),
    ],
)
def test_copying_operations_never_alias(op):
    x = ember.arange(9.0).reshape(3, 3)
    y = op(x)
    before = y.clone()
    x.add_(100)
    assert not _shares(x, y)
    assert_close(y, before)


def test_shape_preserving_views_are_new_views():
    # as in torch: not the tensor itself (a new tensor object), but its memory (no copy)
    x = ember.zeros(2, 3)
    views = [x.squeeze(), x.reshape(2, 3), x.view(2, 3), x.permute(0, 1), x.expand(2, 3)]
    views += [x.unflatten(1, (3,)), ember.tensor(1.0).t()]
    for y in views[:-1]:
        assert y is not x and _shares(x, y) and y._base is x
    assert views[-1].shape == ()


# -------------------------------------------------------------------------- cat and stack


def test_cat_promotes_and_routes_gradients_back_in_input_dtypes():
    a = ember.ones(2, 1, dtype=ember.float32, requires_grad=True)
    b = ember.ones(2, 2, dtype=ember.float64, requires_grad=True)
    c = ember.tensor([[1], [2]])
    y = ember.cat([a, b, c], dim=-1)
    assert y.dtype == ember.float64 and y.shape == (2, 4)
    assert_close(y, [[1, 1, 1, 1], [1, 1, 1, 2]], check_dtype=False)
    (y * ember.arange(4.0, dtype=ember.float64)).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64
    assert_close(a.grad, [[0.0], [0.0]])
    assert_close(b.grad, [[1.0, 2.0], [1.0, 2.0]])
    assert ember.cat([ember.tensor([1]), ember.tensor([True])]).dtype == ember.int64
    assert ember.concat([a, a]).shape == (4, 1) and ember.concatenate([a, a], 1).shape == (2, 2)


def test_cat_skips_legacy_empty_1d_tensors():
    x = ember.ones(2, 3)
    y = ember.cat([ember.tensor([]), x, ember.zeros(0)], dim=1)
    assert y.shape == (2, 3)
    assert ember.cat([ember.zeros(0), ember.zeros(0, dtype=ember.float64)]).dtype == ember.float64
    assert ember.cat([ember.zeros(0, 3), x]).shape == (2, 3)


@pytest.mark.parametrize(
    ("tensors", "dim", "error", "message"),
    [
        ([], 0, ValueError, "expected a non-empty list of Tensors"),
        (
            [ember.ones(2), ember.tensor(1.0)],
            0,
            RuntimeError,
            r"zero-dimensional tensor \(at position 1\)",
        ),
        (
            [ember.ones(2, 2), ember.ones(2)],
            0,
            RuntimeError,
            "Tensors must have same number of dimensions: got 2 and 1",
        ),
        (
            [ember.ones(2, 2), ember.ones(3, 3)],
            1,
            RuntimeError,
            "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 "
            "for tensor number 1 in the list.",
        ),
        (
            [ember.ones(2)],
            1,
            IndexError,
            r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
        ),
        ([ember.ones(2), 3], 0, TypeError, "must be tuple of Tensors"),
    ],
)
def test_cat_errors(tensors, dim, error, message):
    with pytest.raises(error, match=message):
        ember.cat(tensors, dim)


def test_stack_promotes_checks_shapes_and_differentiates():
    xs = [_x(2, 3) for _ in range(3)]
    for dim in (0, 1, 2, -1):
        check_op(
            lambda a, b, c, dim=dim: ember.stack([a, b, c], dim),
            lambda a, b, c, dim=dim: np.stack([a, b, c], dim),
            *xs,
        )
    assert ember.stack([ember.tensor(1), ember.tensor(2.0)]).dtype == ember.float32
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        ember.stack([])
    with pytest.raises(
        RuntimeError,
        match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] "
        r"at entry 1",
    ):
        ember.stack([ember.ones(2), ember.ones(3)])


@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("hstack", [(2,), (3,)]),
        ("hstack", [(2, 1), (2, 3)]),
        ("vstack", [(3,), (2, 3)]),
        ("vstack", [(2, 3), (1, 3)]),
        ("dstack", [(3,), (3,)]),
        ("dstack", [(2, 3), (2, 3, 2)]),
    ],
)
def test_hstack_vstack_dstack_match_numpy(name, shapes):
    arrays = [_x(*s) for s in shapes]
    check_op(
        lambda *xs: getattr(ember, name)(xs),
        lambda *xs: getattr(np, name)(xs),
        *arrays,
    )


def test_atleast_nd():
    s, v, m = ember.tensor(1.0), ember.ones(3), ember.ones(2, 3)
    assert ember.atleast_1d(s).shape == (1,)
    assert [t.shape for t in ember.atleast_2d(s, v, m)] == [(1, 1), (1, 3), (2, 3)]
    assert [t.shape for t in ember.atleast_3d([s, v, m])] == [(1, 1, 1), (1, 3, 1), (2, 3, 1)]
    assert ember.atleast_2d(m) is m


# ------------------------------------------------------------------- split, chunk, unbind


@pytest.mark.parametrize(
    ("size", "chunks", "sizes"),
    [(5, 3, [2, 2, 1]), (6, 4, [2, 2, 2]), (6, 3, [2, 2, 2]), (2, 5, [1, 1]), (0, 3, [0, 0, 0])],
)
def test_chunk_sizes_follow_torch(size, chunks, sizes):
    pieces = ember.arange(size).chunk(chunks)
    assert [len(p) for p in pieces] == sizes
    assert ember.cat(pieces).tolist() == list(range(size))


def test_split_by_size_and_by_sections():
    x = ember.arange(14.0).reshape(2, 7)
    assert [p.shape[1] for p in x.split(3, 1)] == [3, 3, 1]
    assert [p.shape[1] for p in ember.split(x, [1, 0, 6], dim=-1)] == [1, 0, 6]
    assert [p.shape[0] for p in x.split(5)] == [2]
    assert [p.shape for p in ember.zeros(0).split(2)] == [(0,)]
    assert_close(x.split(3, 1)[2], [[6.0], [13.0]])
    with pytest.raises(
        RuntimeError,
        match=r"split_with_sizes expects split_sizes to sum exactly to 7 \(input tensor's size at dimension 1\), but got split_sizes=\[1, 2\]",
    ):
        x.split([1, 2], 1)
    with pytest.raises(
        RuntimeError, match="split expects split_size be non-negative, but got split_size=-1"
    ):
        x.split(-1)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        x.chunk(0)
    with pytest.raises(RuntimeError, match="chunk expects at least a 1-dimensional tensor"):
        ember.tensor(1.0).chunk(1)


def test_multi_output_gradients_fill_unused_outputs_with_zeros():
    x = ember.tensor(_x(3, 4), requires_grad=True)
    _, b = x.split([1, 3], 1)
    (b * 2).sum().backward()
    assert_close(x.grad, np.tile([0.0, 2.0, 2.0, 2.0], (3, 1)).astype(np.float32))
    x.grad = None
    rows = x.unbind(0)
    assert len(rows) == 3 and rows[1].shape == (4,)
    (rows[2] * 3).sum().backward()
    assert_close(x.grad, np.array([[0.0] * 4, [0.0] * 4, [3.0] * 4], np.float32))
    assert rows[0].grad_fn is rows[2].grad_fn  # one node for all outputs
    x.grad = None
    first, *_ = x.chunk(2, 1)
    first.sum().backward()
    assert_close(x.grad, np.tile([1.0, 1.0, 0.0, 0.0], (3, 1)).astype(np.float32))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_split_chunk_unbind_gradcheck(dim):
    check_op(lambda x: x.split(2, dim), lambda x: tuple(np.split(x, [2], dim)), _x(3, 3))
    check_op(lambda x: x.unbind(dim), lambda x: tuple(np.moveaxis(x, dim, 0)), _x(2, 3))
    check_op(lambda x: x.chunk(3, dim), lambda x: tuple(np.array_split(x, 3, dim)), _x(3, 3))


def test_unbind_iteration_and_errors():
    x = ember.arange(6).reshape(2, 3)
    assert [r.tolist() for r in x] == [[0, 1, 2], [3, 4, 5]]
    assert ember.unbind(ember.zeros(0, 2)) == ()
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ember.tensor(1).unbind()


# --------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("op", "error", "message"),
    [
        (
            lambda x: x.reshape(4, -1),
            RuntimeError,
            r"shape '\[4, -1\]' is invalid for input of size 6",
        ),
        (lambda x: x.reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
        (lambda x: x.view(7), RuntimeError, r"shape '\[7\]' is invalid for input of size 6"),
        (lambda x: x.flatten(1, 0), RuntimeError, "start_dim cannot come after end_dim"),
        (
            lambda x: x.unflatten(1, (2, 2)),
            RuntimeError,
            r"unflatten: Provided sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\) in the input tensor",
        ),
        (lambda x: x.unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
        (
            lambda x: x.squeeze((0, 0)),
            RuntimeError,
            "dim 0 appears multiple times in the list of dims",
        ),
        (
            lambda x: x.unsqueeze(3),
            IndexError,
            r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)",
        ),
        (
            lambda x: x.permute(
                0,
            ),
            RuntimeError,
            "input.dim\\(\\) = 2 is not equal to len\\(dims\\) = 1",
        ),
        (lambda x: x.permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
        (lambda x: x.transpose(0, 2), IndexError, "Dimension out of range"),
        (
            lambda x: x.reshape(1, 2, 3).t(),
            RuntimeError,
            "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D",
        ),
        (
            lambda x: x.movedim((0, 1), (0,)),
            RuntimeError,
            r"movedim: Invalid source or destination dims: source \(\[0, 1\] dims\) should contain the same number of dims as destination \(\[0\] dims\)",
        ),
        (
            lambda x: x.movedim((0, 0), (0, 1)),
            RuntimeError,
            r"movedim: repeated dim in `source` \(\[0, 0\]\)",
        ),
        (
            lambda x: x.expand(3),
            RuntimeError,
            "the number of sizes provided must be greater or equal",
        ),
        (
            lambda x: x.expand(2, 4),
            RuntimeError,
            r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1.  Target sizes: \[2, 4\].  Tensor sizes: \[2, 3\]",
        ),
        (
            lambda x: x.expand(-1, 2, 3),
            RuntimeError,
            "isn't allowed in a leading, non-existing dimension 0",
        ),
        (
            lambda x: x.narrow(1, 4, 1),
            IndexError,
            r"start out of range \(expected to be in range of \[-3, 3\], but got 4\)",
        ),
        (
            lambda x: x.narrow(1, 2, 2),
            RuntimeError,
            r"start \(2\) \+ length \(2\) exceeds dimension size \(3\).",
        ),
        (lambda x: x.narrow(1, 0, -1), RuntimeError, "narrow\\(\\): length must be non-negative."),
        (
            lambda x: ember.select(x, 0, 2),
            IndexError,
            r"select\(\): index 2 out of range for tensor of size \[2, 3\] at dimension 0",
        ),
        (
            lambda x: x.repeat(2),
            RuntimeError,
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
        ),
        (
            lambda x: x.repeat(1, -1),
            RuntimeError,
            r"Trying to create tensor with negative dimension -3: \[2, -3\]",
        ),
        (lambda x: x.flip(0, -2), RuntimeError, "dim 0 appears multiple times in the list of dims"),
        (
            lambda x: x.roll((1, 2), 0),
            RuntimeError,
            "shifts and dimensions must align. shifts: 2, dims:1",
        ),
        (
            lambda x: x.roll((1, 2)),
            RuntimeError,
            "shifts and dimensions must align. shifts: 2, dims:0",
        ),
        (lambda x: x[0].tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
        (
            lambda x: x.reshape(1, 2, 3).diag(),
            RuntimeError,
            "diag\\(\\): Supports 1D or 2D tensors. Got 3D",
        ),
        (
            lambda x: x.diagonal(0, 1, -1),
            RuntimeError,
            "diagonal dimensions cannot be identical 1, -1",
        ),
        (
            lambda x: ember.broadcast_tensors(x, ember.ones(4)),
            RuntimeError,
            r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1",
        ),
        (lambda x: ember.fliplr(x[0]), RuntimeError, "Input must be >= 2-d."),
    ],
)
def test_errors(op, error, message):
    with pytest.raises(error, match=message):
        op(ember.zeros(2, 3))


def test_broadcast_helpers():
    a, b = ember.broadcast_tensors(ember.ones(3, 1), ember.zeros(4))
    assert a.shape == b.shape == (3, 4)
    assert ember.broadcast_shapes((3, 1), (4,), 1) == ember.Size([3, 4])
    assert isinstance(ember.broadcast_shapes((2,)), ember.Size)
    with pytest.raises(
        RuntimeError,
        match=r"Attempting to broadcast a dimension of length 5 at -1! Mismatching argument at "
        r"index 1 had \(5,\); but expected shape should be broadcastable to \[3, 4\]",
    ):
        ember.broadcast_shapes((3, 4), (5,))
    x = ember.tensor(_x(3, 1), requires_grad=True)
    y, _ = ember.broadcast_tensors(x, ember.zeros(2, 3, 4))
    y.sum().backward()
    assert_close(x.grad, np.full((3, 1), 8.0, np.float32))


def test_integer_and_bool_tensors_keep_their_dtype():
    x = ember.arange(6).reshape(2, 3)
    assert x.flip(0).dtype == ember.int64 and x.T.dtype == ember.int64
    assert x.repeat(2, 1).tolist() == np.tile(np.arange(6).reshape(2, 3), (2, 1)).tolist()
    m = x > 2
    assert m.tril().dtype == ember.bool and m.tril().tolist() == [
        [False, False, False],
        [True, True, False],
    ]
    assert ember.diag(ember.tensor([1, 2])).tolist() == [[1, 0], [0, 2]]


def test_view_shares_memory_or_errors_like_torch():
    base = ember.zeros(2, 3)
    v = base.view(6)
    v[0] = 5.0
    assert base[0, 0].item() == 5.0
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        base.T.view(6)
    assert base.T.reshape(6).shape == (6,)


# ------------------------------------------------ diff, repeat_interleave, rot90, grids


def _g(*shape):
    return ember.tensor(_x(*shape), dtype=ember.float64, requires_grad=True)


def test_diff():
    x = _x(3, 5)
    assert_close(ember.diff(ember.tensor(x)), np.diff(x))
    assert_close(ember.tensor(x).diff(2, 0), np.diff(x, 2, 0))
    p, a = _x(3, 1), _x(3, 2)
    got = ember.diff(ember.tensor(x), prepend=ember.tensor(p), append=ember.tensor(a))
    assert_close(got, np.diff(x, prepend=p, append=a))
    assert ember.diff(ember.tensor(x), n=9).shape == (3, 0)
    assert ember.diff(ember.tensor([True, False, False])).tolist() == [True, False]
    from ember.autograd import gradcheck

    gradcheck(lambda t: ember.diff(t, 2, 1, prepend=t[:, :1] * 2), [_g(2, 4)])
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        ember.diff(ember.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative"):
        ember.diff(ember.tensor(x), n=-1)
    with pytest.raises(RuntimeError, match="same dimension as input"):
        ember.diff(ember.tensor(x), prepend=ember.tensor(1.0))


def test_repeat_interleave():
    x = _x(2, 3)
    assert_close(ember.repeat_interleave(ember.tensor(x), 2), np.repeat(x, 2))
    assert_close(
        ember.tensor(x).repeat_interleave(ember.tensor([1, 2]), dim=0), np.repeat(x, [1, 2], axis=0)
    )
    assert_close(
        ember.repeat_interleave(ember.tensor(x), ember.tensor([2]), dim=1), np.repeat(x, 2, axis=1)
    )
    assert ember.repeat_interleave(ember.tensor([1, 0, 2])).tolist() == [0, 2, 2]
    from ember.autograd import gradcheck

    gradcheck(lambda t: ember.repeat_interleave(t, ember.tensor([0, 1, 3]), dim=1), [_g(2, 3)])
    with pytest.raises(RuntimeError, match="Repeats must be non-negative"):
        ember.repeat_interleave(ember.tensor(x), -1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        ember.repeat_interleave(ember.tensor(x), ember.tensor([1, -2]), dim=0)
    with pytest.raises(RuntimeError, match="must have the same size"):
        ember.repeat_interleave(ember.tensor(x), ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="Invalid output_size"):
        ember.repeat_interleave(ember.tensor(x), 2, dim=1, output_size=5)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
def test_rot90(k):
    x = _x(2, 3, 4)
    assert_close(ember.rot90(ember.tensor(x), k, (0, 2)), np.rot90(x, k, (0, 2)))
    assert_close(ember.tensor(x).rot90(k), np.rot90(x, k))
    from ember.autograd import gradcheck

    gradcheck(lambda t: ember.rot90(t, k, (1, 0)), [_g(2, 3)])


def test_rot90_errors():
    with pytest.raises(RuntimeError, match="total rotation dims == 2"):
        ember.rot90(ember.ones(2, 2), 1, [0])
    with pytest.raises(RuntimeError, match="rotation dims to be different"):
        ember.rot90(ember.ones(2, 2), 1, [0, 0])
    with pytest.raises(RuntimeError, match="total dims >= 2"):
        ember.rot90(ember.ones(3))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    a, b, c = _x(2), _x(3), _x(4)
    got = ember.meshgrid(ember.tensor(a), ember.tensor(b), ember.tensor(c), indexing=indexing)
    for g, want in zip(got, np.meshgrid(a, b, c, indexing=indexing)):
        assert_close(g, want)
    from ember.autograd import gradcheck

    gradcheck(lambda s, t: ember.meshgrid([s, t], indexing=indexing), [_g(2), _g(3)])


def test_meshgrid_warns_and_errors():
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        x, _ = ember.meshgrid(ember.ones(2), ember.ones(3))
    assert x.shape == (2, 3)
    with pytest.raises(RuntimeError, match='must be one of "xy" or "ij"'):
        ember.meshgrid(ember.ones(2), indexing="ab")
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.meshgrid(ember.ones(2), ember.ones(2).long(), indexing="ij")
    with pytest.raises(RuntimeError, match="0D or 1D"):
        ember.meshgrid(ember.ones(2, 2), indexing="ij")


def test_block_diag():
    got = ember.block_diag(ember.ones(2, 2), ember.tensor(3), ember.ones(3).long())
    want = np.zeros((4, 6))
    want[:2, :2] = 1
    want[2, 2] = 3
    want[3, 3:] = 1
    assert_close(got, want.astype(np.float32))
    assert ember.block_diag().shape == (1, 0)
    from ember.autograd import gradcheck

    gradcheck(lambda s, t: ember.block_diag(s, t), [_g(2, 3), _g(3)])
    with pytest.raises(RuntimeError, match="2 or fewer dimensions"):
        ember.block_diag(ember.ones(2, 2, 2))


def test_argwhere():
    x = _x(3, 4)
    assert_close(ember.argwhere(ember.tensor(x) > 0), np.argwhere(x > 0))
