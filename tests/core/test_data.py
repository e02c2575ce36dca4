"""ember.utils.data: datasets, splits, samplers, collation and the DataLoader, with and without
worker processes (fork by default on Linux; one spawn test)."""

import collections
import gc
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    _shm,
    _worker,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

# ------------------------------------------------------------------------------- helpers


def _gen(seed=0):
    return ember.Generator().manual_seed(seed)


def _shm_blocks():
    """This process's DataLoader blocks still in /dev/shm."""
    return sorted(Path("/dev/shm").glob(f"ember_{os.getpid()}_*"))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:  # a zombie no longer runs: count it as dead
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _wait_dead(pids, seconds=5.0):
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [p for p in pids if _alive(p)]


@pytest.fixture
def no_leaks():
    """After the test: no worker process and no shared-memory block of this process left."""
    yield
    gc.collect()
    assert multiprocessing.active_children() == []
    assert _shm_blocks() == []


class Squares(Dataset):
    """Item i: (float32 array filled with i, i, i**2 as a float, "s<i>")."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2, 3), i, np.float32), i, float(i * i), f"s{i}"


class WorkerProbe(Dataset):
    """Item i: what the loading process knows about itself."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "same_dataset": info.dataset is self,
            "pid": os.getpid(),
            "ember": ember.rand(1).item(),
            "random": random.random(),
            "numpy": np.random.random(),
            "init": _init_calls,
        }


_init_calls = []


def _record_init(worker_id):
    _init_calls.append(worker_id)


class Stream(IterableDataset):
    """0 .. n-1, sharded across workers when ``shard``."""

    def __init__(self, n, shard):
        self.n, self.shard = n, shard

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class Faulty(Dataset):
    """Raises ``error`` for item ``bad``; returns (i, pid) otherwise."""

    def __init__(self, error, bad=3, n=8):
        self.error, self.bad, self.n = error, bad, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error
        return i, os.getpid()


class TwoArgError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


class Dies(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 2 and get_worker_info() is not None:
            os._exit(3)
        return i


# ------------------------------------------------------------------------------ datasets


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        Dataset()[0]
    with pytest.raises(TypeError):
        IterableDataset()  # __iter__ is abstract
    both = Squares(2) + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5


def test_tensor_dataset():
    x = ember.arange(12).reshape(4, 3)
    y = ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6, 7, 8] and yi.item() == 0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.zeros(3))


def test_stack_dataset():
    class Batched(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * 10

        def __getitems__(self, indices):
            return [("batched", i) for i in indices]

    letters = ["a", "b", "c"]
    pairs = StackDataset(letters, Batched())
    assert len(pairs) == 3 and pairs[1] == ("b", 10)
    assert pairs.__getitems__([2, 0]) == [("c", ("batched", 2)), ("a", ("batched", 0))]
    named = StackDataset(letter=letters, number=Batched())
    assert named[2] == {"letter": "c", "number": 20}
    assert named.__getitems__([1]) == [{"letter": "b", "number": ("batched", 1)}]
    # the DataLoader fetches a batch through __getitems__ and collates the tuples
    x = ember.arange(6).reshape(3, 2)
    batch = next(iter(DataLoader(StackDataset(TensorDataset(x), letters), batch_size=3)))
    assert batch[0][0].tolist() == x.tolist() and batch[1] == ("a", "b", "c")


def test_stack_dataset_errors():
    class Short(Dataset):
        def __len__(self):
            return 2

        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], b=[2])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], [3])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a=[1, 2], b=[3])
    with pytest.raises(ValueError, match="Expected 2, got 1"):
        StackDataset(Short()).__getitems__([0, 1])


def test_concat_dataset():
    ds = ConcatDataset([[0, 1, 2], [3], [4, 5]])
    assert ds.cumulative_sizes == [3, 4, 6]
    assert [ds[i] for i in range(6)] == [0, 1, 2, 3, 4, 5]
    assert ds[-1] == 5 and ds[-6] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        ds[-7]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([[1], Stream(2, False)])


def test_chain_dataset():
    chained = Stream(2, False) + Stream(3, False)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([[1, 2]]))


def test_subset():
    class Batched(Dataset):
        def __getitem__(self, i):
            return i * 10

        def __getitems__(self, indices):
            return [("batched", i) for i in indices]

    sub = Subset(list(range(10, 20)), [4, 0, 7])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [14, 10, 17]
    assert Subset(Batched(), [5, 6]).__getitems__([1, 0]) == [("batched", 6), ("batched", 5)]
    assert Subset(list(range(5)), [3, 1]).__getitems__([0, 1]) == [3, 1]


def test_random_split_lengths_and_reproducibility():
    parts = random_split(range(10), [3, 7], generator=_gen(0))
    assert [len(p) for p in parts] == [3, 7]
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == list(range(10)) and items != list(range(10))
    again = random_split(range(10), [3, 7], generator=_gen(0))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 6])


def test_random_split_fractions():
    # floor(10 * .33) = 3 each, floor(3.4) = 3; the one left over goes to the first split
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=_gen(1))
    assert [len(p) for p in parts] == [4, 3, 3]
    # 7 * [0.5, 0.25, 0.25] = 3.5, 1.75, 1.75 -> 3, 1, 1 + round-robin remainder 2 -> 4, 2, 1
    assert [len(p) for p in random_split(range(7), [0.5, 0.25, 0.25])] == [4, 2, 1]
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(4), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


# ------------------------------------------------------------------------------ samplers


def test_sequential_and_base_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_random_sampler_permutations():
    data = range(7)
    order = list(RandomSampler(data, generator=_gen(3)))
    assert sorted(order) == list(range(7)) and order != list(range(7))
    assert list(RandomSampler(data, generator=_gen(3))) == order
    # more samples than data: whole permutations, then a partial one
    long = list(RandomSampler(data, num_samples=17, generator=_gen(4)))
    assert len(long) == 17
    assert sorted(long[:7]) == sorted(long[7:14]) == list(range(7))
    assert len(set(long[14:])) == 3
    # without a generator: seeded from the default generator, whose state governs it
    state = ember.get_rng_state()
    first = list(RandomSampler(data))
    ember.set_rng_state(state)
    assert list(RandomSampler(data)) == first


def test_random_sampler_replacement_is_uniform():
    draws = list(RandomSampler(range(4), replacement=True, num_samples=4000, generator=_gen(0)))
    counts = np.bincount(draws, minlength=4)
    assert len(draws) == 4000 and counts.sum() == 4000
    # each count ~ Binomial(4000, 1/4): sd 27, so 100 is over 3.5 sd
    assert np.all(np.abs(counts - 1000) < 100), counts
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler():
    indices = [10, 20, 30, 40]
    order = list(SubsetRandomSampler(indices, generator=_gen(0)))
    assert sorted(order) == indices and len(SubsetRandomSampler(indices)) == 4


def test_weighted_random_sampler():
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=_gen(0)))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0
    # P(2) = 0.75: sd of the count is 27
    assert abs(counts[2] - 3000) < 100, counts
    unique = list(WeightedRandomSampler([1, 1, 5, 1], 4, replacement=False, generator=_gen(1)))
    assert sorted(unique) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement=None)


def test_batch_sampler():
    keep = BatchSampler(range(7), batch_size=3, drop_last=False)
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6]] and len(keep) == 3
    drop = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True)
    assert list(drop) == [[0, 1, 2], [3, 4, 5]] and len(drop) == 2
    assert list(BatchSampler(range(6), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 0)


# ------------------------------------------------------------------------------- collate

Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_leaves():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == ember.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == ember.float64 and floats.tolist() == [0.5, 1.5]
    assert default_collate([True, False]).dtype == ember.bool
    np_scalars = default_collate([np.float32(1), np.float32(2)])
    assert np_scalars.dtype == ember.float32
    assert default_collate([np.int16(1), np.int16(2)]).dtype == ember.int16
    arrays = default_collate([np.zeros((2, 3), np.uint8), np.ones((2, 3), np.uint8)])
    assert arrays.dtype == ember.uint8 and arrays.shape == (2, 2, 3)
    assert arrays.numpy()[1].sum() == 6
    tensors = default_collate([ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])])
    assert tensors.shape == (2, 2) and tensors.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_default_collate_containers():
    batch = default_collate([{"x": 1.0, "p": Point(1, "a")}, {"x": 2.0, "p": Point(2, "b")}])
    assert set(batch) == {"x", "p"} and batch["x"].dtype == ember.float64
    assert isinstance(batch["p"], Point)
    assert batch["p"].x.tolist() == [1, 2] and batch["p"].y == ("a", "b")
    # tuples become lists (torch's rule); lists stay lists, transposed field-wise
    pairs = default_collate([(0, [1, 2]), (1, [3, 4])])
    assert isinstance(pairs, list) and pairs[0].tolist() == [0, 1]
    assert [t.tolist() for t in pairs[1]] == [[1, 3], [2, 4]]
    ordered = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(ordered, collections.OrderedDict)
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    converted = default_convert({"a": np.arange(3, dtype=np.int32), "b": (np.float64(2.5), "s")})
    assert converted["a"].dtype == ember.int32 and converted["a"].tolist() == [0, 1, 2]
    assert isinstance(converted["b"], list) and converted["b"][0].dtype == ember.float64
    assert converted["b"][1] == "s"
    point = default_convert(Point(np.ones(2), 3))
    assert isinstance(point, Point) and point.x.dtype == ember.float64 and point.y == 3
    strings = np.array(["x", "y"])
    assert default_convert(strings) is strings
    t = ember.ones(2)
    assert default_convert(t) is t and default_convert(4) == 4


# ---------------------------------------------------------------- DataLoader, one process


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
        ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, ValueError, "prefetch_factor option could only be specified"),
        ({"persistent_workers": True}, ValueError, "persistent_workers option needs"),
        ({"sampler": [0], "shuffle": True}, ValueError, "sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "batch_size": 2}, ValueError, "batch_sampler option is"),
        ({"batch_sampler": [[0]], "drop_last": True}, ValueError, "batch_sampler option is"),
        ({"batch_size": None, "drop_last": True}, ValueError, "batch_size=None option"),
        ({"multiprocessing_context": "fork"}, ValueError, "multiprocessing_context can only"),
        (
            {"num_workers": 1, "multiprocessing_context": "nope"},
            ValueError,
            "should specify a valid start method",
        ),
        ({"num_workers": 1, "multiprocessing_context": 3}, TypeError, "should be a valid context"),
    ],
)
def test_loader_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(Squares(), **kwargs)


def test_loader_iterable_dataset_argument_errors():
    for kwargs in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        name = next(iter(kwargs))
        with pytest.raises(ValueError, match=f"expected unspecified {name} option"):
            DataLoader(Stream(3, False), **kwargs)


def test_loader_attributes_frozen_after_init():
    loader = DataLoader(Squares(), batch_size=2, pin_memory=True)  # pin_memory: a CPU no-op
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen, as in torch
    assert loader.prefetch_factor is None and loader.pin_memory is True


def test_loader_len():
    assert len(DataLoader(Squares(10), batch_size=3)) == 4
    assert len(DataLoader(Squares(10), batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(Squares(10), batch_size=None)) == 10
    assert len(DataLoader(Stream(10, False), batch_size=4)) == 3
    assert len(DataLoader(Stream(10, False), batch_size=4, drop_last=True)) == 2
    assert len(iter(DataLoader(Squares(10), batch_size=3))) == 4


def test_loader_batches_in_main_process():
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert len(batches) == 3
    arrays, ints, floats, names = batches[0]
    assert arrays.shape == (2, 2, 3) and arrays.dtype == ember.float32
    assert ints.tolist() == [0, 1] and floats.dtype == ember.float64 and names == ("s0", "s1")
    assert batches[-1][1].tolist() == [4]
    assert [b[1].tolist() for b in DataLoader(Squares(5), batch_size=2, drop_last=True)] == [
        [0, 1],
        [2, 3],
    ]
    unbatched = list(DataLoader(Squares(2), batch_size=None))
    assert isinstance(unbatched[0], list) and unbatched[1][0].shape == (2, 3)
    custom = DataLoader(Squares(6), batch_sampler=[[5, 0], [2]], collate_fn=len)
    assert list(custom) == [2, 1]


def test_loader_shuffle_reproducible():
    def epochs(loader):
        return [[i for b in loader for i in b[1].tolist()] for _ in range(2)]

    first = epochs(DataLoader(Squares(10), batch_size=3, shuffle=True, generator=_gen(0)))
    second = epochs(DataLoader(Squares(10), batch_size=3, shuffle=True, generator=_gen(0)))
    assert first == second
    assert sorted(first[0]) == list(range(10)) and first[0] != first[1]


def test_loader_iterable_dataset_in_main_process():
    assert [b.tolist() for b in DataLoader(Stream(5, False), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert len(list(DataLoader(Stream(5, False), batch_size=2, drop_last=True))) == 2
    assert list(DataLoader(Stream(3, False), batch_size=None)) == [0, 1, 2]  # ints stay ints
    assert get_worker_info() is None


# ---------------------------------------------------------------- DataLoader, with workers


def test_shared_memory_transport():
    writer, reader = _shm.BlockWriter(_shm.block_prefix(os.getpid(), 0)), _shm.BlockReader()
    array = np.arange(4096, dtype=np.float64).reshape(64, 64)
    message = {"t": ember.tensor(array), "view": array[:, ::2], "tag": "x", "empty": np.zeros(0)}
    name, payload, dropped = writer.pack(message)
    assert len(_shm_blocks()) == 1 and len(payload) < 1000  # the arrays' bytes are not pickled
    out = reader.unpack(0, name, payload, dropped)
    assert np.array_equal(out["t"].numpy(), array) and np.array_equal(out["view"], array[:, ::2])
    assert out["tag"] == "x" and out["empty"].shape == (0,)
    assert writer.pack([1, "a"])[0] is None  # nothing to share
    # a released block is reused; one too small is unlinked and reported as dropped
    writer.release([name])
    assert writer.pack(array[:10])[0] == name
    writer.release([name])
    bigger, payload, dropped = writer.pack(np.zeros(8192))
    assert bigger != name and dropped == [name] and len(_shm_blocks()) == 1
    assert reader.unpack(0, bigger, payload, dropped).sum() == 0
    writer.close()
    reader.close()
    assert _shm_blocks() == []


def test_blocks_of_a_crashed_worker_are_unlinked():
    prefix = _shm.block_prefix(os.getpid(), 0)
    writer, reader = _shm.BlockWriter(prefix), _shm.BlockReader()
    messages = [writer.pack(np.full(100 * (k + 1), k)) for k in range(3)]
    reader.unpack(0, *messages[0])  # the other two never arrive; the worker dies
    assert len(_shm_blocks()) == 3
    reader.close(crashed={0: prefix})
    assert _shm_blocks() == []


@pytest.mark.parametrize("prefetch_factor", [None, 1])
def test_workers_match_main_process(no_leaks, prefetch_factor):
    def load(num_workers, **kwargs):
        loader = DataLoader(
            Squares(11),
            batch_size=3,
            shuffle=True,
            generator=_gen(7),
            num_workers=num_workers,
            **kwargs,
        )
        return [list(loader) for _ in range(2)]

    expected = load(0)
    got = load(2, prefetch_factor=prefetch_factor)
    for epoch_expected, epoch_got in zip(expected, got):
        assert len(epoch_got) == len(epoch_expected) == 4
        for (a0, i0, f0, s0), (a1, i1, f1, s1) in zip(epoch_expected, epoch_got):
            assert np.array_equal(a0.numpy(), a1.numpy()) and a1.dtype == ember.float32
            assert i0.tolist() == i1.tolist() and f0.tolist() == f1.tolist() and s0 == s1


def test_workers_batch_size_none_and_drop_last(no_leaks):
    items = list(DataLoader(Squares(3), batch_size=None, num_workers=2))
    assert [i for _, i, _, _ in items] == [0, 1, 2]
    batches = list(DataLoader(Squares(7), batch_size=3, drop_last=True, num_workers=2))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5]]


def test_worker_info_seeds_and_init_fn(no_leaks):
    def run():
        loader = DataLoader(
            WorkerProbe(),
            batch_size=None,
            num_workers=2,
            worker_init_fn=_record_init,
            generator=_gen(11),
        )
        return list(loader)

    items = run()
    assert [d["id"] for d in items] == [0, 1] * 4  # tasks go round-robin
    assert all(d["num_workers"] == 2 and d["same_dataset"] for d in items)
    assert all(d["init"] == [d["id"]] for d in items)  # worker_init_fn(worker_id), once
    seeds = {d["id"]: d["seed"] for d in items}
    assert seeds[1] == seeds[0] + 1
    # different workers draw different numbers; the same seeds reproduce them
    draws = ("seed", "ember", "random", "numpy")
    assert all(items[0][k] != items[1][k] for k in draws)
    again = run()
    assert [[d[k] for k in draws] for d in again] == [[d[k] for k in draws] for d in items]
    assert _init_calls == [] and get_worker_info() is None  # nothing leaked into this process


def test_iterable_dataset_with_workers(no_leaks):
    sharded = [b.tolist() for b in DataLoader(Stream(9, shard=True), batch_size=2, num_workers=2)]
    assert sorted(i for b in sharded for i in b) == list(range(9))
    # without sharding every worker yields the whole stream
    copies = list(DataLoader(Stream(3, shard=False), batch_size=None, num_workers=2))
    assert sorted(copies) == [0, 0, 1, 1, 2, 2]
    dropped = list(DataLoader(Stream(9, shard=True), batch_size=2, drop_last=True, num_workers=2))
    assert all(len(b) == 2 for b in dropped) and len(dropped) == 4


def test_worker_exception_is_reraised_with_traceback(no_leaks):
    pids = []
    with pytest.raises(ValueError) as excinfo:
        for _, pid in DataLoader(Faulty(ValueError("bad index 3")), num_workers=2):
            pids.append(pid.item())
    message = str(excinfo.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.")
    assert "Original Traceback (most recent call last)" in message
    assert "in __getitem__" in message and "bad index 3" in message
    # the traceback holds the iterator (torch lets iteration go on after a worker error);
    # once it is gone, so are the workers
    assert len(pids) == 3 and all(_alive(p) for p in pids)
    del excinfo
    gc.collect()
    assert _wait_dead(set(pids), 0) == []


def test_worker_exception_types(no_leaks):
    with pytest.raises(KeyError, match="Caught KeyError"):
        list(DataLoader(Faulty(KeyError("k")), num_workers=1))
    # an exception that cannot be rebuilt from a message becomes a RuntimeError
    with pytest.raises(RuntimeError, match="Caught TwoArgError in DataLoader worker process 0"):
        list(DataLoader(Faulty(TwoArgError(1, "x"), bad=0), num_workers=1))

    def bad_init(worker_id):
        raise OSError("no device")

    with pytest.raises(OSError, match="no device"):
        list(DataLoader(Squares(2), num_workers=1, worker_init_fn=bad_init))


def test_break_and_gc_stop_workers_and_free_blocks(no_leaks):
    loader = DataLoader(Squares(40), batch_size=2, num_workers=2)
    for _, ints, _, _ in loader:
        if ints[0].item() == 4:
            break
    assert multiprocessing.active_children() == [] and _shm_blocks() == []

    it = iter(loader)
    next(it)
    deadline = time.monotonic() + 5
    while not _shm_blocks() and time.monotonic() < deadline:  # prefetched, not yet read
        time.sleep(0.01)
    assert _shm_blocks() != []
    del it  # the blocks still in the pipe are freed with the workers
    assert multiprocessing.active_children() == [] and _shm_blocks() == []


def test_keyboard_interrupt_stops_workers(no_leaks):
    it = iter(DataLoader(Slow(), num_workers=2))
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)  # "Ctrl-C" while next() waits
        with pytest.raises(KeyboardInterrupt):
            next(it)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert multiprocessing.active_children() == []  # stopped although `it` is still alive
    with pytest.raises(StopIteration):
        next(it)


def test_timeout(no_leaks):
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.1 seconds"):
        next(iter(DataLoader(Slow(), num_workers=1, timeout=0.1)))


def test_dead_worker_is_reported(no_leaks, monkeypatch):
    monkeypatch.setattr(_worker, "MP_STATUS_CHECK_INTERVAL", 0.05)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited"):
        list(DataLoader(Dies(), num_workers=1))


def test_persistent_workers(no_leaks):
    loader = DataLoader(
        Faulty(None, bad=-1, n=6), batch_size=2, num_workers=2, persistent_workers=True
    )
    first_pids = set()
    for ids, pids in loader:
        first_pids.update(pids.tolist())
        if ids[0].item() == 2:
            break  # the rest of this epoch is dropped when the next one starts
    epoch = list(loader)
    assert [ids.tolist() for ids, _ in epoch] == [[0, 1], [2, 3], [4, 5]]
    assert {p for _, pids in epoch for p in pids.tolist()} == first_pids
    assert len(first_pids) == 2 and all(_alive(p) for p in first_pids)
    del loader, epoch
    assert _wait_dead(first_pids, 0) == []


def test_spawn_context(no_leaks):
    data = [np.arange(3) * i for i in range(4)]  # a list pickles for spawned workers
    loader = DataLoader(data, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [b.tolist() for b in loader] == [[[0, 0, 0], [0, 1, 2]], [[0, 2, 4], [0, 3, 6]]]


def test_workers_exit_when_main_process_dies():
    script = textwrap.dedent(
        """
        import os
        from ember.utils.data import DataLoader, Dataset, _worker
        _worker.MP_STATUS_CHECK_INTERVAL = 0.05

        class Pids(Dataset):
            def __len__(self):
                return 100

            def __getitem__(self, i):
                return os.getpid()

        it = iter(DataLoader(Pids(), num_workers=2))
        print(next(it).item(), next(it).item(), flush=True)
        os._exit(0)  # no cleanup at all
        """
    )
    src = str(Path(ember.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    pids = [int(p) for p in proc.stdout.split()]
    assert len(set(pids)) == 2, proc.stderr
    assert _wait_dead(pids) == []
