"""SyncBatchNorm on 2 MPI processes, launched as tests/core/test_distributed.py does: each
rank normalises its half of a batch, and must match BatchNorm on the whole batch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# the tests run with --import-mode=importlib, so the launcher is loaded from its file
_spec = importlib.util.spec_from_file_location(
    "_test_distributed", Path(__file__).with_name("test_distributed.py")
)
_launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_launcher)
needs_mpi, run_mpi = _launcher.needs_mpi, _launcher.run_mpi


@needs_mpi
def test_sync_batchnorm_matches_batchnorm_on_the_whole_batch(tmp_path):
    run_mpi(
        tmp_path,
        """
        rng = np.random.default_rng(0)
        x = rng.standard_normal((6, 3, 4)).astype(np.float32) * 2 + 1
        w = rng.standard_normal(3).astype(np.float32)
        b = rng.standard_normal(3).astype(np.float32)
        gy = rng.standard_normal(x.shape).astype(np.float32)
        rows = [slice(0, 2), slice(2, 6)][rank]  # unequal shares: the counts are reduced too

        def build(cls):
            m = cls(3)
            with ember.no_grad():
                m.weight.copy_(ember.tensor(w))
                m.bias.copy_(ember.tensor(b))
            return m

        sync, ref = build(nn.SyncBatchNorm), build(nn.BatchNorm1d)
        for _ in range(2):  # the running statistics follow two updates
            xs = ember.tensor(x[rows], requires_grad=True)
            ys = sync(xs)
            (ys * ember.tensor(gy[rows])).sum().backward()
            xr = ember.tensor(x, requires_grad=True)
            yr = ref(xr)
            (yr * ember.tensor(gy)).sum().backward()
        np.testing.assert_allclose(ys.detach().numpy(), yr[rows].detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(xs.grad.numpy(), xr.grad[rows].numpy(), atol=1e-5)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(
                getattr(sync, name).numpy(), getattr(ref, name).numpy(), atol=1e-6
            )
        assert int(sync.num_batches_tracked) == 2
        # each rank holds the gradient of its own loss term: their sum is the full one
        for name in ("weight", "bias"):
            g = getattr(sync, name).grad.clone()
            dist.all_reduce(g)
            np.testing.assert_allclose(
                g.numpy(), getattr(ref, name).grad.numpy(), rtol=1e-5, atol=1e-5
            )

        sync.eval()  # evaluation mode: the running statistics, no communication
        np.testing.assert_allclose(
            sync(ember.tensor(x[rows])).detach().numpy(),
            ref.eval()(ember.tensor(x))[rows].detach().numpy(), atol=1e-6
        )
        """,
    )
