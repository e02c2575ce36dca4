"""Temporary: compare ember's shape/indexing ops with real torch (run on the device machine)."""
import numpy as np, torch, ember, traceback
rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4, 5))
bad = 0
def both(f):
    out = []
    for lib in (torch, ember):
        try:
            r = f(lib, lib.tensor(A.copy()))
            if isinstance(r, (tuple, list)):
                r = [np.asarray(x.tolist()) for x in r]
            elif hasattr(r, "tolist"):
                r = np.asarray(r.tolist()), str(r.dtype).split(".")[-1]
            out.append(("ok", r))
        except Exception as e:
            out.append((type(e).__name__, str(e).split("\n")[0]))
    return out
def same(a, b):
    if a[0] != b[0]: return False
    if a[0] != "ok": return a[1] == b[1]
    ra, rb = a[1], b[1]
    if isinstance(ra, tuple):
        return ra[1] == rb[1] and ra[0].shape == rb[0].shape and np.allclose(ra[0], rb[0])
    return len(ra) == len(rb) and all(x.shape == y.shape and np.allclose(x, y) for x, y in zip(ra, rb))
CASES = {
 "int_list_sep": lambda L, x: x[1, :, [0, 2]],
 "int_list_sep2": lambda L, x: x[:, [0, 1], 2],
 "list_of_lists": lambda L, x: x[[[0, 1], [2, 0]]],
 "np2d": lambda L, x: x[np.array([[0, 1], [2, 2]])],
 "bool_true": lambda L, x: x[None, True, 1:2],
 "bool_false": lambda L, x: x[:, False],
 "t0d": lambda L, x: x[L.tensor(True)],
 "mask2d_list": lambda L, x: x[L.tensor([[True, False, False, True]] * 3), [0, 1, 2, 3, 4, 0]],
 "neg_step": lambda L, x: x[::-1],
 "oob": lambda L, x: x[0, 7],
 "oob_adv": lambda L, x: x[:, [0, 9]],
 "too_many": lambda L, x: x[0, 0, 0, 0],
 "float_idx": lambda L, x: x[L.tensor([0.5])],
 "float_py": lambda L, x: x[1.5],
 "mask_shape": lambda L, x: x[:, L.tensor([True, False])],
 "bcast": lambda L, x: x[[0, 1], [0, 1, 2]],
 "empty_list": lambda L, x: x[[]],
 "ell2": lambda L, x: x[..., 0, ...],
 "cat_err": lambda L, x: L.cat([x, x[0]]),
 "cat_size": lambda L, x: L.cat([x, x[:, :2, :3]], 1),
 "cat_0d": lambda L, x: L.cat([x[0, 0], x[0, 0, 0]]),
 "cat_empty": lambda L, x: L.cat([L.tensor([]), x[0]], 1),
 "cat_promote": lambda L, x: L.cat([x[0].float(), x[1].long()]),
 "stack_err": lambda L, x: L.stack([x[0], x[0, :2]]),
 "split_err": lambda L, x: x.split([1, 1], 0),
 "split_neg": lambda L, x: x.split(-1),
 "chunk6_4": lambda L, x: L.arange(6).chunk(4),
 "chunk0": lambda L, x: L.zeros(0).chunk(3),
 "narrow_err": lambda L, x: x.narrow(1, 5, 1),
 "narrow_err2": lambda L, x: x.narrow(1, 2, 3),
 "unflatten_err": lambda L, x: x.unflatten(1, (3, 3)),
 "flatten_err": lambda L, x: x.flatten(2, 1),
 "t_err": lambda L, x: x.t(),
 "movedim_err": lambda L, x: x.movedim((0, 1), 0),
 "movedim_rep": lambda L, x: x.movedim((0, 0), (1, 2)),
 "permute_err": lambda L, x: x.permute(0, 1),
 "permute_dup": lambda L, x: x.permute(0, 1, 1),
 "repeat_err": lambda L, x: x.repeat(2, 2),
 "repeat_neg": lambda L, x: x.repeat(1, -1, 1),
 "repeat_0d": lambda L, x: x[0, 0, 0].repeat(2, 3),
 "flip_dup": lambda L, x: x.flip(0, 0),
 "roll_err": lambda L, x: x.roll((1, 2), 0),
 "roll_err2": lambda L, x: x.roll((1, 2)),
 "diag_err": lambda L, x: x.diag(),
 "diagonal_err": lambda L, x: x.diagonal(0, 1, 1),
 "diagonal_rev": lambda L, x: x.diagonal(1, 2, 0),
 "diag_embed": lambda L, x: L.diag_embed(x[0], 1, 0, 2),
 "tril_err": lambda L, x: x[0, 0].tril(),
 "expand_err": lambda L, x: x.expand(3, 4, 6),
 "expand_lead": lambda L, x: x.expand(-1, 3, 4, 5),
 "select_err": lambda L, x: L.select(x, 0, 3),
 "squeeze_dup": lambda L, x: x[:1].squeeze((0, 0)),
 "squeeze_tuple": lambda L, x: x[:1, :, :1].squeeze((0, 1, 2)),
 "bcast_tensors": lambda L, x: L.broadcast_tensors(x, x[0, :2]),
 "bshapes_err": lambda L, x: L.broadcast_shapes((3, 4), (5,)),
 "hstack": lambda L, x: L.hstack([x[0, 0], x[1, 1]]),
 "dstack": lambda L, x: L.dstack([x[0], x[1]]),
 "gather_err_dtype": lambda L, x: x.gather(0, L.tensor([[[0.0]]])),
 "gather_err_dim": lambda L, x: x.gather(0, L.tensor([0])),
 "gather_err_size": lambda L, x: x.gather(0, L.zeros(1, 5, 1, dtype=L.long)),
 "gather_oob": lambda L, x: x.gather(1, L.tensor([[[4]]])),
 "gather_neg": lambda L, x: x.gather(1, L.tensor([[[-1]]])),
 "gather_0d": lambda L, x: x[0, 0, 0].gather(0, L.tensor(0)),
 "scatter_dtype": lambda L, x: x.scatter(0, L.tensor([[[0]]]), L.ones(1, 1, 1, dtype=L.float32)),
 "scatter_size": lambda L, x: x.scatter_add(0, L.tensor([[[0, 1]]]), L.ones(1, 1, 1, dtype=L.float64)),
 "scatter_srcdim": lambda L, x: x.scatter(0, L.tensor([[[0, 1]]]), L.ones(2, dtype=L.float64)),
 "scatter_reduce_err": lambda L, x: x.scatter(0, L.tensor([[[0]]]), 1.0, reduce="max"),
 "scatter_value_add": lambda L, x: x.scatter(1, L.tensor([[[0, 1], [0, 0]]]), 2.0, reduce="add"),
 "scatter_mul": lambda L, x: x.scatter(1, L.tensor([[[0, 1], [0, 0]]]), x[:1, :2, :2] * 0 + 3, reduce="multiply"),
 "iselect_vec": lambda L, x: x.index_select(0, L.tensor([[0]])),
 "iselect_dtype": lambda L, x: x.index_select(0, L.tensor([0.0])),
 "iselect_oob": lambda L, x: x.index_select(0, L.tensor([3])),
 "iselect_neg": lambda L, x: x.index_select(0, L.tensor([-1])),
 "iselect_0d": lambda L, x: x.index_select(1, L.tensor(2)),
 "iadd_dtype": lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 4, 5, dtype=L.float32)),
 "iadd_idx": lambda L, x: x.index_add(0, L.tensor([0.0]), L.ones(1, 4, 5, dtype=L.float64)),
 "icopy_shape": lambda L, x: x.index_copy(0, L.tensor([0, 1]), L.ones(1, 4, 5, dtype=L.float64)),
 "icopy_idx": lambda L, x: x.index_copy(0, L.tensor([0], dtype=L.int32), L.ones(1, 4, 5, dtype=L.float64)),
 "mfill_mask": lambda L, x: x.masked_fill(L.ones(3, 4, 5), 0.0),
 "mfill_mask_long": lambda L, x: x.masked_fill(L.ones(3, 4, 5, dtype=L.long), 0.0),
 "mfill_value": lambda L, x: x.masked_fill(x > 0, L.ones(1)),
 "mfill_bcast": lambda L, x: x[0, 0].masked_fill(L.tensor([[True], [False]]), 1.0),
 "mselect_err": lambda L, x: x.masked_select(L.ones(5, dtype=L.long)),
 "nonzero_0d": lambda L, x: L.tensor(3).nonzero(),
 "nonzero_0d_tuple": lambda L, x: L.tensor(3).nonzero(as_tuple=True),
 "tad_err": lambda L, x: L.take_along_dim(x, L.tensor([0]), 0),
 "tad_bcast": lambda L, x: L.take_along_dim(x, L.tensor([[[2]], [[0]]]), 2),
 "setitem_dtype": lambda L, x: x.__setitem__([0], L.ones(4, 5, dtype=L.float32)),
 "setitem_shape": lambda L, x: x.__setitem__([0, 1], L.ones(3)),
 "setitem_shape_basic": lambda L, x: x.__setitem__(0, L.ones(3)),
 "setitem_list": lambda L, x: x.__setitem__(0, [1.0]),
 "unbind_0d": lambda L, x: x[0, 0, 0].unbind(),
 "split_0d": lambda L, x: x[0, 0, 0].split(1),
 "view_bad": lambda L, x: x.reshape(-1, 7),
 "view_two": lambda L, x: x.reshape(-1, -1),
 "unsqueeze_err": lambda L, x: x.unsqueeze(5),
}
for name, f in CASES.items():
    t, e = both(f)
    if not same(t, e):
        bad += 1
        print(f"MISMATCH {name}\n  torch: {t}\n  ember: {e}")
print("mismatches:", bad, "of", len(CASES))
