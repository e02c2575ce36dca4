"""ember.distributed, DistributedDataParallel and DistributedSampler.

The collectives and DDP run for real: each test writes a small script and launches it on 2 or
3 processes with ``mpiexec`` (from the ``mpich`` wheel). Every rank checks its own expected
values; a failing assertion aborts the whole MPI job, so a failure never hangs the others.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ember
import ember.distributed as dist
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

CORE_SRC = Path(__file__).resolve().parents[2] / "packages" / "core" / "src"
# mpiexec sits next to the interpreter when the mpich wheel is installed in its environment
MPIEXEC = shutil.which(
    "mpiexec", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
)
needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason="needs mpi4py and mpiexec (pip install 'ember[distributed]')",
)

PRELUDE = """\
import sys
from mpi4py import MPI

def _abort(*exc_info):  # one failing rank ends the job instead of leaving the others waiting
    sys.__excepthook__(*exc_info)
    sys.stderr.flush()
    MPI.COMM_WORLD.Abort(1)

sys.excepthook = _abort

import numpy as np
import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
"""


def run_mpi(tmp_path, body, n=2, setup=""):
    """Run ``body`` (after PRELUDE and ``setup``) on ``n`` MPI processes; fail with their
    output if any rank fails or the job takes too long."""
    script = tmp_path / "script.py"
    code = PRELUDE + setup + textwrap.dedent(body) + "\ndist.destroy_process_group()\n"
    script.write_text(code)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CORE_SRC), env.get("PYTHONPATH")]))
    env["HYDRA_LAUNCHER"] = "fork"  # mpich: start local processes directly, never via ssh
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"  # Open MPI: more processes than cores
    proc = subprocess.run(
        [MPIEXEC, "-n", str(n), sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ collectives


@needs_mpi
def test_collectives(tmp_path):
    run_mpi(
        tmp_path,
        """
        t = ember.tensor([rank + 1.0, 10.0])
        assert dist.all_reduce(t) is None
        assert t.tolist() == [3.0, 20.0]

        for op, expected in [
            (dist.ReduceOp.PRODUCT, 2),
            (dist.ReduceOp.MIN, 1),
            (dist.ReduceOp.MAX, 2),
            (dist.ReduceOp.BAND, 1 & 2),
            (dist.ReduceOp.BOR, 1 | 2),
            (dist.ReduceOp.BXOR, 1 ^ 2),
        ]:
            t = ember.tensor([rank + 1])
            dist.all_reduce(t, op=op)
            assert t.tolist() == [expected] and t.dtype == ember.int64, (op, t)

        t = ember.tensor([rank + 1.0], dtype=ember.float16)
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert t.tolist() == [1.5] and t.dtype == ember.float16
        t = ember.tensor([rank == 0, False])
        dist.all_reduce(t)  # SUM of bools is a logical or
        assert t.tolist() == [True, False]
        t = ember.tensor([rank + 1j])
        dist.all_reduce(t)
        assert t.tolist() == [1 + 2j]
        try:
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
        except ValueError as e:
            assert "complex" in str(e)
        else:
            raise AssertionError("MAX on complex tensors must raise")

        t = ember.full((2, 2), float(rank))
        dist.broadcast(t, src=1)
        assert t.tolist() == [[1.0, 1.0], [1.0, 1.0]]

        t = ember.tensor([rank + 1.0])
        dist.reduce(t, dst=1)
        assert t.tolist() == ([3.0] if rank == 1 else [1.0])  # only dst gets the result

        out = [ember.zeros(2, dtype=ember.int32) for _ in range(world)]
        dist.all_gather(out, ember.tensor([rank, 7 * rank], dtype=ember.int32))
        assert [o.tolist() for o in out] == [[0, 0], [1, 7]]

        out = ember.zeros(4)
        dist.all_gather_into_tensor(out, ember.full((2,), float(rank)))
        assert out.tolist() == [0.0, 0.0, 1.0, 1.0]

        out = ember.zeros(2)
        dist.reduce_scatter_tensor(out, ember.arange(4, dtype=ember.float32) * (rank + 1))
        assert out.tolist() == ([0.0, 3.0] if rank == 0 else [6.0, 9.0])

        dist.barrier()
        assert dist.get_backend() == "mpi"
        """,
    )


@needs_mpi
def test_rooted_collectives_on_three_processes(tmp_path):
    run_mpi(
        tmp_path,
        """
        assert world == 3
        gathered = [ember.zeros(2) for _ in range(3)] if rank == 2 else None
        dist.gather(ember.full((2,), rank * 1.5), gathered, dst=2)
        if rank == 2:
            assert [g.tolist() for g in gathered] == [[0.0, 0.0], [1.5, 1.5], [3.0, 3.0]]

        mine = ember.zeros(1, dtype=ember.int64)
        pieces = [ember.tensor([10 * r]) for r in range(3)] if rank == 0 else None
        dist.scatter(mine, pieces)  # src defaults to 0
        assert mine.tolist() == [10 * rank]

        try:
            dist.gather(ember.zeros(1), [ember.zeros(1)] * 3 if rank != 0 else None, dst=0)
        except ValueError as e:  # every rank raises before communicating
            assert "gather_list" in str(e)
        else:
            raise AssertionError("gather without gather_list on dst must raise")

        out = ember.zeros(1)
        dist.reduce_scatter_tensor(out, ember.arange(3, dtype=ember.float32), op=dist.ReduceOp.MAX)
        assert out.tolist() == [float(rank)]
        """,
        n=3,
    )


@needs_mpi
def test_async_point_to_point_and_objects(tmp_path):
    run_mpi(
        tmp_path,
        """
        t = ember.ones(3) * (rank + 1)
        work = dist.all_reduce(t, async_op=True)
        assert work.wait() is True and work.is_completed()
        assert t.tolist() == [3.0, 3.0, 3.0] and work.result()[0] is t

        if rank == 0:
            dist.send(ember.tensor([4.0, 5.0]), dst=1, tag=3)
            work = dist.isend(ember.tensor([6]), dst=1)
            work.wait()
        else:
            buf = ember.zeros(2)
            assert dist.recv(buf, tag=3) == 0  # src=None: any source; returns the sender
            assert buf.tolist() == [4.0, 5.0]
            buf = ember.zeros(1, dtype=ember.int64)
            work = dist.irecv(buf, src=0)
            work.wait()
            assert buf.tolist() == [6] and work.source_rank() == 0

        objects = [None] * world
        dist.all_gather_object(objects, {"rank": rank})
        assert objects == [{"rank": 0}, {"rank": 1}]
        payload = ["config", {"lr": 0.1}] if rank == 0 else [None, None]
        dist.broadcast_object_list(payload)
        assert payload == ["config", {"lr": 0.1}]
        """,
    )


def test_errors_before_init_process_group():
    assert not dist.is_initialized()
    message = "Default process group has not been initialized"
    for call in (
        dist.get_rank,
        dist.get_world_size,
        dist.barrier,
        lambda: dist.all_reduce(ember.ones(1)),
        lambda: ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2)),
        lambda: DistributedSampler(range(4)),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_init_process_group_rejects_other_backends():
    with pytest.raises(RuntimeError, match=r"doesn't have NCCL built in.*backend='mpi'"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid backend: 'tcp'"):
        dist.init_process_group("tcp")
    assert not dist.is_initialized()
    assert dist.ReduceOp.SUM == 0 and repr(dist.ReduceOp.AVG) == "<RedOpType.AVG: 1>"


# ------------------------------------------------------------------- DistributedDataParallel

DDP_MODEL = """
def make_model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))

rng = np.random.default_rng(0)
x = ember.tensor(rng.standard_normal((12, 4)).astype(np.float32))
y = ember.tensor(rng.standard_normal((12, 3)).astype(np.float32))
shard = slice(rank * 12 // world, (rank + 1) * 12 // world)

def max_difference(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))
"""


@needs_mpi
def test_ddp_matches_single_process_training(tmp_path):
    run_mpi(
        tmp_path,
        """
        # every rank starts from its own weights: DDP broadcasts rank 0's at construction;
        # a tiny bucket cap gives one bucket per parameter or two, reduced as they fill up
        model = DDP(make_model(seed=rank), bucket_cap_mb=0.0005)
        assert len(model._buckets) > 1
        reference = make_model(seed=0)  # one process, the whole batch
        assert max_difference(model.module, reference) == 0
        opt = ember.optim.SGD(model.parameters(), lr=0.1)
        ref_opt = ember.optim.SGD(reference.parameters(), lr=0.1)
        for _ in range(4):
            opt.zero_grad()
            nn.functional.mse_loss(model(x[shard]), y[shard]).backward()
            opt.step()
            ref_opt.zero_grad()
            nn.functional.mse_loss(reference(x), y).backward()
            ref_opt.step()
        assert max_difference(model.module, reference) < 1e-6, max_difference(model.module, reference)
        """,
        setup=DDP_MODEL,
    )


@needs_mpi
def test_ddp_no_sync_accumulates_then_averages(tmp_path):
    run_mpi(
        tmp_path,
        """
        model = DDP(make_model(seed=0), gradient_as_bucket_view=True)
        reference = make_model(seed=0)
        half = slice(shard.start, (shard.start + shard.stop) // 2)
        rest = slice(half.stop, shard.stop)
        with model.no_sync():
            nn.functional.mse_loss(model(x[half]), y[half], reduction="sum").backward()
        local = [p.grad.clone() for p in model.parameters()]
        nn.functional.mse_loss(model(x[rest]), y[rest], reduction="sum").backward()
        # inside no_sync the gradient stays local; the next step averages the accumulated sum
        nn.functional.mse_loss(reference(x), y, reduction="sum").backward()
        for p, q in zip(model.module.parameters(), reference.parameters()):
            assert float((p.grad * world - q.grad).abs().max()) < 1e-4
        others = [None] * world
        dist.all_gather_object(others, [g.tolist() for g in local])
        assert others[0] != others[1]  # the no_sync gradients really differed per rank
        """,
        setup=DDP_MODEL,
    )


@needs_mpi
def test_ddp_buffers_state_dict_and_unused_parameters(tmp_path):
    run_mpi(
        tmp_path,
        """
        ember.manual_seed(rank)
        net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        net[1].running_mean.fill_(float(rank + 5))
        model = DDP(net, forward_sync_buffers=True)
        assert list(model.state_dict()) == [
            "module.0.weight", "module.0.bias", "module.1.weight", "module.1.bias",
            "module.1.running_mean", "module.1.running_var", "module.1.num_batches_tracked",
        ]
        assert model.module is net
        assert net[1].running_mean.tolist() == [5.0] * 4  # rank 0's, broadcast at construction
        model(ember.randn(6, 3)).sum().backward()
        stats = [None] * world
        dist.all_gather_object(stats, net[1].running_mean.tolist())
        assert stats[0] != stats[1]  # each rank updated its running stats from its own batch
        model.eval()  # the forward broadcasts rank 0's buffers; eval mode keeps them
        model(ember.randn(6, 3))
        dist.all_gather_object(stats, net[1].running_mean.tolist())
        assert stats[0] == stats[1]

        class Heads(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(2, 2)
                self.b = nn.Linear(2, 2)
                self.c = nn.Linear(2, 2)

            def forward(self, x, use_b):
                return self.a(x) + self.b(x) if use_b else self.a(x)

        x = ember.ones(1, 2)
        # find_unused_parameters: only rank 0 uses `b` (rank 1 gives it zeros to the average);
        # `c`, used by no rank, keeps .grad None
        model = DDP(Heads(), find_unused_parameters=True)
        model(x, use_b=rank == 0).sum().backward()
        assert model.module.a.weight.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
        assert model.module.b.weight.grad.tolist() == [[0.5, 0.5], [0.5, 0.5]]
        assert model.module.c.weight.grad is None

        # without it, torch's error at the next forward
        model = DDP(Heads())
        model(x, use_b=False).sum().backward()
        try:
            model(x, use_b=False)
        except RuntimeError as e:
            assert "Expected to have finished reduction in the prior iteration" in str(e)
            assert "[2, 3, 4, 5]" in str(e), str(e)
        else:
            raise AssertionError("unused parameters must raise at the next forward")
        """,
    )


# ------------------------------------------------------------------------ DistributedSampler


@pytest.mark.parametrize(
    "n, replicas, drop_last, expected",
    [
        # 10 indices padded to 12 by repeating the first two, then every 3rd from `rank`
        (10, 3, False, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]),
        # drop_last: cut to 9 (= 3 * ceil((10 - 3) / 3))
        (10, 3, True, [[0, 3, 6], [1, 4, 7], [2, 5, 8]]),
        (8, 2, True, [[0, 2, 4, 6], [1, 3, 5, 7]]),  # evenly divisible: nothing dropped
        # fewer samples than replicas: the indices repeat as often as needed
        (2, 5, False, [[0], [1], [0], [1], [0]]),
        (2, 5, True, [[], [], [], [], []]),
    ],
)
def test_distributed_sampler_arithmetic(n, replicas, drop_last, expected):
    shards = [
        list(DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last))
        for rank in range(replicas)
    ]
    assert shards == expected
    sampler = DistributedSampler(range(n), replicas, 0, shuffle=False, drop_last=drop_last)
    assert len(sampler) == len(expected[0]) == sampler.num_samples
    assert sampler.total_size == replicas * sampler.num_samples


def test_distributed_sampler_shuffles_by_seed_and_epoch():
    def shards(epoch, seed=0):
        out = []
        for rank in range(3):
            sampler = DistributedSampler(range(10), num_replicas=3, rank=rank, seed=seed)
            sampler.set_epoch(epoch)
            out.append(list(sampler))
        return out

    first = shards(epoch=0)
    assert first == shards(epoch=0)  # every process draws the same permutation
    order = ember.randperm(10, generator=ember.Generator().manual_seed(0)).tolist()
    padded = order + order[:2]
    assert first == [padded[0::3], padded[1::3], padded[2::3]]
    assert shards(epoch=1) != first
    assert shards(epoch=0, seed=1) == shards(epoch=1, seed=0)  # seeded with seed + epoch


def test_distributed_sampler_errors_and_dataloader():
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    dataset = TensorDataset(ember.arange(7))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    batches = [b[0].tolist() for b in DataLoader(dataset, batch_size=2, sampler=sampler)]
    assert batches == [[1, 3], [5, 0]]
