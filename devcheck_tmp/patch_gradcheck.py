"""Device-run only: make gradcheck move seeds to the output's device and results to the CPU."""
p = "packages/core/src/ember/autograd/gradcheck.py"
s = open(p).read()
s = s.replace("from .._tensor import Tensor\n", "from .. import backend\nfrom .._tensor import Tensor\n_cpu = lambda a: backend.to_device(a, backend.Device('cpu'))\n")
s = s.replace("o._data.astype(np.float64)", "_cpu(o._data).astype(np.float64)")
s = s.replace("Tensor._make(seed.reshape(out._data.shape))", "Tensor._make(backend.to_device(seed.reshape(out._data.shape), backend.device_of(out._data)))")
s = s.replace("np.asarray(g._data, dtype=np.float64)", "np.asarray(_cpu(g._data), dtype=np.float64)")
s = s.replace("rng.standard_normal(o._data.shape))", "backend.to_device(rng.standard_normal(o._data.shape), backend.device_of(o._data)))")
open(p, "w").write(s)
