"""CUDA kernels (through cupy) behind operations whose array form takes many small kernels.

On a GPU every array operation is a kernel launch, and one cupy call costs 15-40 µs of host
time (measured on an H200 machine: a 16x16 ``tanh`` 16 µs, a max pooling with indices as
array operations about 20 calls, 0.6 ms), so small workloads are bound by the number of calls,
not by the GPU. The operations here do in one kernel what their array form (which the CPU
runs) does in many, each computing what that array form computes in the same order: max
pooling, col2im and ReLU's backward give the CPU's results exactly, the optimizers' kernels
round step by step as the array form does (no fused multiply-adds), and the LSTM and sigmoid
kernels agree to rounding. Each is chosen inside the operation by the array's device; kernels
are compiled on first use, per dtype.
"""

from __future__ import annotations

import functools

from .. import backend

_ZERO = "static_cast<T>(0.0f)"
# σ(v) as the CPU computes it (exp(-v) overflows to inf for very negative v, giving 0)
_SIGMOID = "static_cast<T>(1) / (static_cast<T>(1) + exp(-v))"


@functools.cache
def _max_pool_kernel():
    # one thread per window: the first element reaching the maximum, or the last NaN
    return backend.cp.ElementwiseKernel(
        "raw T x, raw int64 rows, raw int64 cols, int64 h, int64 w, int64 oh, int64 ow, "
        "int64 kh, int64 kw",
        "T y, int64 index",
        """
        const long long c = i % ow, r = (i / ow) % oh, plane = (i / (ow * oh)) * h * w;
        long long best = -1;
        T m = x[plane];
        for (long long a = 0; a < kh; ++a) {
            const long long row = rows[a * oh + r];
            if (row < 0 || row >= h) continue;
            for (long long b = 0; b < kw; ++b) {
                const long long col = cols[b * ow + c];
                if (col < 0 || col >= w) continue;
                const T v = x[plane + row * w + col];
                if (best < 0 || v > m || v != v) {
                    m = v;
                    best = row * w + col;
                }
            }
        }
        y = m;
        index = best;
        """,
        "ember_max_pool2d",
    )


def max_pool2d(x, rows, cols):
    """Window maxima of ``x`` (..., H, W) and their flat indices in the input plane, for
    windows whose kernel row ``a`` covers input rows ``rows[a]`` (OH,) and column ``b`` input
    columns ``cols[b]`` (OW,) (int64 device arrays; outside the plane over the padding)."""
    cp = backend.cp
    x = cp.ascontiguousarray(x)
    (kh, oh), (kw, ow) = rows.shape, cols.shape
    shape = (*x.shape[:-2], oh, ow)
    y = cp.empty(shape, x.dtype)
    index = cp.empty(shape, cp.int64)
    _max_pool_kernel()(x, rows, cols, *x.shape[-2:], oh, ow, kh, kw, y, index)
    return y, index


@functools.cache
def _col2im_kernel():
    # one thread per image pixel: the sum over the kernel taps whose windows cover it, tap by
    # tap as the CPU's col2im adds them
    return backend.cp.ElementwiseKernel(
        "raw T cols, int64 c, int64 h, int64 w, int64 kh, int64 kw, int64 images, int64 rows, "
        "int64 ow, int64 r0, int64 sh, int64 sw, int64 ph, int64 pw, int64 dh, int64 dw",
        "raw T out",
        f"""
        const long long x = i % w, y = (i / w) % h, ch = (i / (w * h)) % c;
        const long long image = i / (w * h * c);
        T s = {_ZERO};
        for (long long a = 0; a < kh; ++a) {{
            const long long top = y + ph - a * dh;
            if (top < 0 || top % sh != 0) continue;
            const long long r = top / sh - r0;
            if (r < 0 || r >= rows) continue;
            for (long long b = 0; b < kw; ++b) {{
                const long long left = x + pw - b * dw;
                if (left < 0 || left % sw != 0 || left / sw >= ow) continue;
                s += cols[((((ch * kh + a) * kw + b) * images + image) * rows + r) * ow
                          + left / sw];
            }}
        }}
        out[i] += s;
        """,
        "ember_col2im",
    )


def col2im_add(out, cols, kernel, geom, r0, rows, ow):
    """Add into ``out`` (N, C, H, W, contiguous) the window columns ``cols`` of output rows
    ``r0:r0 + rows`` (each OW wide), laid out (C, KH, KW, N, rows, OW) as a GEMM gives them:
    the adjoint of im2col for the windows of ``geom``, the image's padding left out."""
    c, h, w = out.shape[1:]
    _col2im_kernel()(
        cols,
        c,
        h,
        w,
        *kernel,
        out.shape[0],
        rows,
        ow,
        r0,
        *geom.stride,
        *geom.padding,
        *geom.dilation,
        out,
        size=out.size,
    )


@functools.cache
def _sigmoid_kernel():
    return backend.cp.ElementwiseKernel("T v", "T y", f"y = {_SIGMOID}", "ember_sigmoid")


def sigmoid(x):
    """σ(x) as 1 / (1 + exp(-x)), for float32 and float64 ``x``."""
    return _sigmoid_kernel()(x)


@functools.cache
def _relu_backward_kernel():
    return backend.cp.ElementwiseKernel(
        "T gy, Y y",
        "T gx",
        f"gx = y <= static_cast<Y>(0.0f) ? {_ZERO} : gy",
        "ember_relu_backward",
    )


def relu_backward(gy, y):
    """``gy`` where the ReLU output ``y`` is not <= 0 (NaN included), else 0."""
    return _relu_backward_kernel()(gy, y)


# LSTM: one kernel per time step for the gates' element-wise work, where the array form takes
# about fifteen (forward) and six (backward). Gates are laid out (B, 4, H): i, f, g, o.


@functools.cache
def _lstm_cell_kernel():
    return backend.cp.ElementwiseKernel(
        "raw T gx, T c_prev, int64 hidden",
        "raw T gates, T c, T tanh_c, T h",
        f"""
        const long long at = (i / hidden) * 4 * hidden + i % hidden;
        T a[4];
        for (int j = 0; j < 4; ++j) {{
            const T v = gates[at + j * hidden] + gx[at + j * hidden];
            a[j] = j == 2 ? tanh(v) : {_SIGMOID};
            gates[at + j * hidden] = a[j];
        }}
        c = a[1] * c_prev + a[0] * a[2];
        tanh_c = tanh(c);
        h = a[3] * tanh_c;
        """,
        "ember_lstm_cell",
    )


def lstm_cell(gates, gx, c_prev, c, tanh_c, h):
    """One LSTM step from the recurrent pre-activations ``gates`` (B, 4, H), which become the
    activated gates, and the input's ``gx``: writes ``c``, ``tanh(c)`` and ``h`` (B, H)."""
    _lstm_cell_kernel()(gx, c_prev, gates.shape[-1], gates, c, tanh_c, h)


@functools.cache
def _lstm_cell_backward_kernel():
    return backend.cp.ElementwiseKernel(
        "T gy, T dc_dh, raw T slopes, raw T gates, int64 hidden",
        "T dh, T dc, raw T dgates",
        """
        const long long at = (i / hidden) * 4 * hidden + i % hidden;
        dh += gy;
        dc += dh * dc_dh;
        for (int j = 0; j < 3; ++j) dgates[at + j * hidden] = dc * slopes[at + j * hidden];
        dgates[at + 3 * hidden] = dh * slopes[at + 3 * hidden];
        dc *= gates[at + hidden];
        """,
        "ember_lstm_cell_backward",
    )


def lstm_cell_backward(gy, dc_dh, slopes, gates, dh, dc, dgates):
    """One LSTM step of BPTT: ``dh`` += ``gy``; ``dc`` += ``dh * dc_dh``; the gate gradients
    ``dgates`` (B, 4, H) from ``slopes``; then ``dc`` through the forget gate of ``gates``."""
    _lstm_cell_backward_kernel()(gy, dc_dh, slopes, gates, gates.shape[-1], dh, dc, dgates)


# Optimizer updates: one kernel per parameter, where the array form takes four (SGD with
# momentum) to thirteen (Adam). Compiled without fused multiply-adds, so that each step rounds
# as the CPU's separate array operations do.
_ROUND_EACH_STEP = ("--fmad=false",)


@functools.cache
def _sgd_kernel():
    return backend.cp.ElementwiseKernel(
        "T g, float64 lr, float64 momentum, float64 dampening, bool nesterov, bool first",
        "T x, T b",
        """
        const T m = static_cast<T>(momentum);
        if (!first) {
            b *= m;
            b += dampening == 0 ? g : g * static_cast<T>(1 - dampening);
        }
        x += (nesterov ? g + b * m : b) * static_cast<T>(-lr);
        """,
        "ember_sgd",
        options=_ROUND_EACH_STEP,
    )


def sgd_(x, buf, g, lr, momentum, dampening, nesterov, first):
    """SGD with momentum on ``x`` in place: ``buf`` (already ``g`` on the ``first`` step)
    becomes ``momentum * buf + (1 - dampening) * g``, then ``x -= lr * buf`` (Nesterov:
    ``lr * (g + momentum * buf)``)."""
    _sgd_kernel()(g, lr, momentum, dampening, nesterov, first, x, buf)


# amsgrad: the running maximum of exp_avg_sq (NaN propagating, as numpy's maximum) divides
_AMSGRAD = "v_max = v != v || v > v_max ? v : v_max;\nconst T s = v_max;"


@functools.cache
def _adam_kernel(amsgrad):
    # exp_avg.lerp_(g, 1 - beta1) as torch computes it, exp_avg_sq.mul_(beta2).addcmul_(g, g,
    # value=1 - beta2), then x.addcdiv_(exp_avg, sqrt(v) / bias_correction2 + eps, -step_size)
    outputs = "T x, T m, T v" + (", T v_max" if amsgrad else "")
    return backend.cp.ElementwiseKernel(
        "T g, float64 beta1, float64 beta2, float64 step_size, float64 bias_correction2, "
        "float64 eps",
        outputs,
        """
        T work = g - m;
        if (fabs(1 - beta1) < 0.5) {
            work *= static_cast<T>(1 - beta1);
            m += work;
        } else {
            work *= static_cast<T>(1) - static_cast<T>(1 - beta1);
            m = g - work;
        }
        work = g * static_cast<T>(1 - beta2);
        work *= g;
        v *= static_cast<T>(beta2);
        v += work;
        """
        + (_AMSGRAD if amsgrad else "const T s = v;")
        + """
        T denom = sqrt(s);
        denom /= static_cast<T>(bias_correction2);
        denom += static_cast<T>(eps);
        work = m * static_cast<T>(-step_size);
        work /= denom;
        x += work;
        """,
        "ember_adam_amsgrad" if amsgrad else "ember_adam",
        options=_ROUND_EACH_STEP,
    )


def adam_(x, g, moments, betas, step_size, bias_correction2, eps):
    """Adam's step on ``x`` in place, its ``moments`` (exp_avg, exp_avg_sq and, with
    amsgrad, max_exp_avg_sq) updated from ``g``."""
    kernel = _adam_kernel(len(moments) == 3)
    kernel(g, *betas, step_size, bias_correction2, eps, x, *moments)


# Cross entropy of (N, C) scores against class indices: one block per row finds the row's
# maximum (NaN wins, as numpy's max), writes exp(x - max) and its sum, and the row's loss
# log(sum) - (x_t - max) (0 for an ignored target), where the array form takes about twenty
# calls. The sums run in a fixed tree order, so results are deterministic (they may differ from
# numpy's pairwise sums in the last bits).
_CE_THREADS = 128
_CE_FORWARD = r"""
typedef {ctype} T;
extern "C" __global__ void ember_cross_entropy_{ctype}(
    const T* x, const long long* target, const long long ignore_index, const int c,
    T* numerator, T* sums, T* loss, long long* picked, T* kept, int* bad) {{
  __shared__ T part[{threads}];
  const int tid = threadIdx.x;
  const T* xr = x + (size_t)blockIdx.x * c;
  T* er = numerator + (size_t)blockIdx.x * c;
  T m = xr[0];
  for (int j = tid; j < c; j += blockDim.x) {{
    const T v = xr[j];
    m = (v != v || v > m) ? v : m;
  }}
  part[tid] = m;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {{
    if (tid < s) {{
      const T v = part[tid + s];
      part[tid] = (v != v || v > part[tid]) ? v : part[tid];
    }}
    __syncthreads();
  }}
  m = part[0];
  __syncthreads();
  T total = 0;
  for (int j = tid; j < c; j += blockDim.x) {{
    const T e = exp(xr[j] - m);
    er[j] = e;
    total += e;
  }}
  part[tid] = total;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {{
    if (tid < s) part[tid] += part[tid + s];
    __syncthreads();
  }}
  if (tid == 0) {{
    const long long t = target[blockIdx.x];
    const bool valid = t != ignore_index;
    long long k = valid ? t : 0;
    if (k < 0 || k >= c) {{
      atomicExch(bad, 1);
      k = 0;
    }}
    sums[blockIdx.x] = part[0];
    picked[blockIdx.x] = k;
    kept[blockIdx.x] = valid ? T(1) : T(0);
    loss[blockIdx.x] = valid ? log(part[0]) - (xr[k] - m) : T(0);
  }}
}}
"""


@functools.cache
def _cross_entropy_kernel(ctype):
    code = _CE_FORWARD.format(ctype=ctype, threads=_CE_THREADS)
    return backend.cp.RawKernel(code, f"ember_cross_entropy_{ctype}")


def cross_entropy_rows(x, target, ignore_index):
    """For float32/float64 scores ``x`` (N, C), C >= 1, and int64 targets (N,): ``(numerator,
    sums, loss, picked, kept, bad)``: exp(x - row max), its row sums, each row's loss (0 where
    ignored), the targets with ignored ones as 0, 1/0 for kept/ignored (in ``x``'s dtype), and
    a flag set if a kept target is out of range."""
    cp = backend.cp
    n, c = x.shape
    x = cp.ascontiguousarray(x)
    numerator = cp.empty_like(x)
    sums, loss, kept = (cp.empty(n, x.dtype) for _ in range(3))
    picked = cp.empty(n, cp.int64)
    bad = cp.zeros((), cp.int32)
    ctype = "float" if x.dtype == cp.float32 else "double"
    kernel = _cross_entropy_kernel(ctype)
    args = (x, cp.ascontiguousarray(target, dtype=cp.int64), cp.int64(ignore_index), cp.int32(c))
    kernel((n,), (_CE_THREADS,), args + (numerator, sums, loss, picked, kept, bad))
    return numerator, sums, loss, picked, kept, bad


@functools.cache
def _cross_entropy_backward_kernel():
    return backend.cp.ElementwiseKernel(
        "T numerator, T scale, T rows, T sums, T hit, int64 picked, int32 c",
        "T gx",
        "gx = numerator * (scale * rows / sums) - (i % c == picked ? scale * hit : (T)0)",
        "ember_cross_entropy_backward",
    )


def cross_entropy_backward(numerator, scale, rows, sums, hit, picked):
    """The gradient of a 2-d cross entropy, ``scale * (rows * softmax - hit * onehot)`` per
    row: ``numerator`` (N, C) and the row sums its softmax's denominators; ``scale`` a 0-d
    array or one per row."""
    column = (-1, 1)
    scale = scale.reshape(column) if scale.ndim else scale
    return _cross_entropy_backward_kernel()(
        numerator,
        scale,
        rows.reshape(column),
        sums.reshape(column),
        hit.reshape(column),
        picked.reshape(column),
        backend.cp.int32(numerator.shape[1]),
    )
