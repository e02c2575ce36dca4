"""Dynamic programmes over alignments, under ``torchaudio.functional``'s names: CTC forced
alignment (``forced_align``, with ``merge_tokens`` and ``TokenSpan``), the RNN Transducer loss
(``rnnt_loss``) and the Levenshtein ``edit_distance``.

torchaudio runs ``forced_align`` and ``rnnt_loss`` as C++/CUDA kernels; they are written here
on arrays with the same recursions, ties and checks. Each recursion keeps its one sequential
axis (time, the lattice's anti-diagonals, the rows of the edit table) as a loop and
vectorises the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import ember
from ember import backend

__all__ = ["forced_align", "TokenSpan", "merge_tokens", "rnnt_loss", "edit_distance"]


def _to_host(array):
    return backend.to_device(array, ember.device("cpu"))


# ---------------------------------------------------------------------------- forced align


def _check_forced_align(log_probs, targets, input_lengths, target_lengths, blank):
    """The checks of torchaudio's kernel, with its messages."""
    if log_probs.dtype not in (ember.float64, ember.float32, ember.float16):
        raise RuntimeError("log_probs must be float64, float32 or float16 (half) type")
    if targets.dtype not in (ember.int32, ember.int64):
        raise RuntimeError("targets must be int32 or int64 type")
    if log_probs.dim() != 3:
        raise RuntimeError("log_probs must be 3-D (batch_size, input length, num classes)")
    if targets.dim() != 2:
        raise RuntimeError("targets must be 2-D (batch_size, target length,)")
    if input_lengths.dim() != 1:
        raise RuntimeError("input_lengths must be 1-D (batch_size,)")
    if target_lengths.dim() != 1:
        raise RuntimeError("target_lengths must be 1-D (batch_size,)")
    if log_probs.size(0) != 1:
        raise RuntimeError("The batch dimension for log_probs must be 1 at the current version.")
    if targets.size(0) != 1:
        raise RuntimeError("The batch dimension for targets must be 1 at the current version.")
    if not 0 <= blank < log_probs.size(-1):
        raise RuntimeError("blank must be within [0, num classes)")
    if log_probs.size(1) != int(input_lengths.max()):
        raise RuntimeError("input length mismatch")
    if targets.size(1) != int(target_lengths.max()):
        raise RuntimeError("target length mismatch")


def _ctc_viterbi(emissions, labels):
    """The best CTC path through ``emissions`` (host array ``(T, S)``: the log probability
    of each state of ``blank, l0, blank, l1, ..., blank`` at each time step, for the labels
    ``l``): the state of each time step, as torchaudio's kernel finds it.

    As there, the states at time ``t`` are limited to those reachable from the start that
    can still reach the end (``start``/``end``), a state comes from itself, the state before
    or (a label that differs from the previous one) the label before, ties going to the
    nearer state, and the path ends on the last label or the blank after it, the label
    unless the blank scores strictly more.
    """
    length, num_states = emissions.shape
    label_count = len(labels)
    repeats = int(np.count_nonzero(labels[1:] == labels[:-1]))
    if length < label_count + repeats:
        raise RuntimeError(
            f"targets length is too long for CTC. Found log_probs length: {length}, "
            f"targets length: {label_count}, and number of repeats: {repeats}"
        )
    can_skip = np.zeros(num_states, dtype=bool)  # from two states back, skipping a blank
    can_skip[3::2] = labels[1:] != labels[:-1]

    neg_inf = np.array(-np.inf, dtype=emissions.dtype)
    alpha = np.full(num_states, neg_inf)
    back = np.zeros((length, num_states), dtype=np.int8)
    start = 0 if length - (label_count + repeats) > 0 else 1
    end = 2  # the first blank and the first label (targets are never empty)
    alpha[start:end] = emissions[0, start:end]
    for t in range(1, length):
        if length - t <= label_count + repeats:
            if start % 2 == 1 and labels[start // 2] != labels[start // 2 + 1]:
                start += 1
            start += 1
        if t <= label_count + repeats:
            if end % 2 == 0 and end < 2 * label_count and labels[end // 2 - 1] != labels[end // 2]:
                end += 1
            end += 1
        shifted = np.concatenate([np.full(2, neg_inf), alpha])
        x0, x1 = alpha, shifted[1:-1]
        x2 = np.where(can_skip, shifted[:-2], neg_inf)
        step = np.where((x2 > x1) & (x2 > x0), 2, np.where(x1 > x0, 1, 0))
        best = np.choose(step, [x0, x1, x2])
        alpha = np.full(num_states, neg_inf)
        alpha[start:end] = best[start:end] + emissions[t, start:end]
        back[t] = step
    state = num_states - 1 if alpha[-1] > alpha[-2] else num_states - 2
    path = np.empty(length, dtype=np.int64)
    for t in range(length - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    return path


def forced_align(log_probs, targets, input_lengths=None, target_lengths=None, blank=0):
    r"""Align a CTC label sequence to an emission.

    torchaudio's kernel (a Viterbi pass over the CTC states) is run here on the host: the
    loop over time steps is the recursion itself, each step vectorised over the states.

    Args:
        log_probs (Tensor): log probability of CTC emission output.
            Tensor of shape `(B, T, C)`. where `B` is the batch size, `T` is the input
            length, `C` is the number of characters in alphabet including blank.
        targets (Tensor): Target sequence. Tensor of shape `(B, L)`,
            where `L` is the target length.
        input_lengths (Tensor or None, optional):
            Lengths of the inputs (max value must each be <= `T`). 1-D Tensor of shape `(B,)`.
        target_lengths (Tensor or None, optional):
            Lengths of the targets. 1-D Tensor of shape `(B,)`.
        blank (int, optional): The index of blank symbol in CTC emission. (Default: 0)

    Returns:
        Tuple(Tensor, Tensor):
            Tensor: Label for each time step in the alignment path computed using forced
            alignment.

            Tensor: Log probability scores of the labels for each time step.

    Note:
        The sequence length of `log_probs` must satisfy:

        .. math::
            L_{\text{log\_probs}} \ge L_{\text{label}} + N_{\text{repeat}}

        where :math:`N_{\text{repeat}}` is the number of consecutively repeated tokens.
        For example, in str `"aabbc"`, the number of repeats are `2`.

    Note:
        The current version only supports ``batch_size==1``.
    """
    if (targets == blank).any():
        raise ValueError(f"targets Tensor shouldn't contain blank index. Found {targets}.")
    if ember.max(targets) >= log_probs.shape[-1]:
        raise ValueError("targets values must be less than the CTC dimension")

    if input_lengths is None:
        batch_size, length = log_probs.size(0), log_probs.size(1)
        input_lengths = ember.full(
            (batch_size,), length, dtype=ember.int64, device=log_probs.device
        )
    if target_lengths is None:
        batch_size, length = targets.size(0), targets.size(1)
        target_lengths = ember.full((batch_size,), length, dtype=ember.int64, device=targets.device)
    _check_forced_align(log_probs, targets, input_lengths, target_lengths, blank)

    labels = _to_host(targets._data[0]).astype(np.int64)
    state_labels = np.full(2 * len(labels) + 1, blank, dtype=np.int64)
    state_labels[1::2] = labels
    emissions = log_probs.detach()[0][:, ember.from_numpy(state_labels).to(log_probs.device)]
    path = state_labels[_ctc_viterbi(_to_host(emissions._data), labels)]
    paths = ember.from_numpy(path[None]).to(device=log_probs.device, dtype=targets.dtype)
    return paths, log_probs[:, ember.arange(paths.shape[1], device=log_probs.device), paths[0]]


@dataclass
class TokenSpan:
    """TokenSpan()
    Token with time stamps and score. Returned by :py:func:`merge_tokens`.
    """

    token: int
    """The token"""
    start: int
    """The start time (inclusive) in emission time axis."""
    end: int
    """The end time (exclusive) in emission time axis."""
    score: float
    """The score of the this token."""

    def __len__(self) -> int:
        """Returns the time span"""
        return self.end - self.start


def merge_tokens(tokens, scores, blank=0):
    """Removes repeated tokens and blank tokens from the given CTC token sequence.

    Args:
        tokens (Tensor): Alignment tokens (unbatched) returned from :py:func:`forced_align`.
            Shape: `(time, )`.
        scores (Tensor): Alignment scores (unbatched) returned from :py:func:`forced_align`.
            Shape: `(time, )`. When computing the token-size score, the given score is
            averaged across the corresponding time span.
        blank (int, optional): The blank token. (Default: ``0``)

    Returns:
        list of TokenSpan

    Example:
        >>> aligned_tokens, scores = forced_align(emission, targets, input_lengths, target_lengths)
        >>> token_spans = merge_tokens(aligned_tokens[0], scores[0])
    """
    if tokens.ndim != 1 or scores.ndim != 1:
        raise ValueError("`tokens` and `scores` must be 1D Tensor.")
    if len(tokens) != len(scores):
        raise ValueError("`tokens` and `scores` must be the same length.")

    tokens = _to_host(tokens._data)
    # a span starts wherever the token changes, and the last one ends with the sequence
    starts = np.flatnonzero(np.diff(tokens, prepend=-1) != 0)
    ends = np.append(starts[1:], len(tokens))
    # the mean score of each span, from one cumulative sum
    totals = np.concatenate([[0.0], np.cumsum(_to_host(scores.detach()._data), dtype=np.float64)])
    means = (totals[ends] - totals[starts]) / (ends - starts)
    return [
        TokenSpan(token=int(tokens[start]), start=int(start), end=int(end), score=float(mean))
        for start, end, mean in zip(starts, ends, means)
        if tokens[start] != blank
    ]


# ------------------------------------------------------------------------------- RNN-T loss


def _check_rnnt(logits, targets, logit_lengths, target_lengths, blank):
    """The checks of torchaudio's kernel, with its messages (float64 logits are accepted
    too)."""
    if logits.dtype not in (ember.float32, ember.float16, ember.float64):
        raise RuntimeError("logits must be float32, float16 (half) or float64 type")
    if targets.dtype != ember.int32:
        raise RuntimeError("targets must be int32 type")
    if logit_lengths.dtype != ember.int32:
        raise RuntimeError("logit_lengths must be int32 type")
    if target_lengths.dtype != ember.int32:
        raise RuntimeError("target_lengths must be int32 type")
    if logits.dim() != 4:
        raise RuntimeError("logits must be 4-D (batch, time, target, class)")
    if targets.dim() != 2:
        raise RuntimeError("targets must be 2-D (batch, max target length)")
    if logit_lengths.dim() != 1:
        raise RuntimeError("logit_lengths must be 1-D")
    if target_lengths.dim() != 1:
        raise RuntimeError("target_lengths must be 1-D")
    if logit_lengths.size(0) != logits.size(0):
        raise RuntimeError("batch dimension mismatch between logits and logit_lengths")
    if target_lengths.size(0) != logits.size(0):
        raise RuntimeError("batch dimension mismatch between logits and target_lengths")
    if targets.size(0) != logits.size(0):
        raise RuntimeError("batch dimension mismatch between logits and targets")
    if not 0 <= blank < logits.size(-1):
        raise RuntimeError("blank must be within [0, logits.shape[-1])")
    if logits.size(1) != int(logit_lengths.max()):
        raise RuntimeError("input length mismatch")
    if logits.size(2) != int(target_lengths.max()) + 1:
        raise RuntimeError("output length mismatch")
    if targets.size(1) + 1 != logits.size(2):
        raise RuntimeError("target length mismatch")


def _anti_diagonal(xp, n, max_t, max_u):
    """The cells ``(t, u)`` with ``t + u = n`` of a ``max_t`` by ``max_u`` lattice."""
    t = xp.arange(max(0, n - max_u + 1), min(n, max_t - 1) + 1)
    return t, n - t


def _rnnt_lattice(logits, index, logit_lengths, target_lengths, inside, blank, fused):
    """Forward and backward variables of the transducer lattice, on raw arrays.

    ``logits`` ``(B, T, U, D)`` (``U`` = max target length + 1) are in the compute dtype,
    ``index`` ``(B, 1, U - 1, 1)`` holds the targets and ``inside`` ``(B, T, U)`` marks the
    cells within each sequence's lengths ``T_b``, ``U_b``. Cell ``(t, u)`` (``u`` labels
    emitted by frame ``t``) moves to ``(t + 1, u)`` with the blank (``skip``) or to
    ``(t, u + 1)`` with target ``u`` (``emit``), in log probabilities: the log-softmax when
    ``fused``, else the logits themselves. ``alpha[t, u]`` is the log probability of reaching
    the cell, ``beta[t, u]`` that of finishing from it with the blank from
    ``(T_b - 1, U_b - 1)``. Each anti-diagonal depends only on the one before, so the loops
    run over the ``T + U - 1`` anti-diagonals, vectorised over the batch and the cells of
    each. A cell inside depends only on cells inside (above-left for ``alpha``; ``beta`` is
    -inf outside), so the padding never leaks in.

    Returns ``(denom, alpha, beta)``: the log-softmax denominators (0 without ``fused``),
    ``alpha`` ``(B, T, U)`` and ``beta`` ``(B, T + 1, U + 1)``, whose extra row holds the 0
    after each sequence's last blank and whose extra column is -inf.
    """
    xp = backend.array_module(logits)
    batch, max_t, max_u, _ = logits.shape
    denom = 0
    if fused:
        peak = logits.max(axis=-1)
        denom = peak + xp.log(xp.exp(logits - peak[..., None]).sum(axis=-1))
    skip = logits[..., blank] - denom
    emit = xp.take_along_axis(logits[:, :, :-1], index, axis=-1)[..., 0]
    emit = xp.concatenate([emit, xp.zeros((batch, max_t, 1), logits.dtype)], axis=-1)
    emit = emit - denom  # the last column never emits: it is only there to pad

    # alpha: padded by a row and a column of -inf, alpha(t, u) at [t + 1, u + 1]
    alpha = xp.full((batch, max_t + 1, max_u + 1), -xp.inf, dtype=logits.dtype)
    alpha[:, 1, 1] = 0
    for n in range(1, max_t + max_u - 1):
        t, u = _anti_diagonal(xp, n, max_t, max_u)
        alpha[:, t + 1, u + 1] = xp.logaddexp(
            alpha[:, t, u + 1] + skip[:, t - 1, u], alpha[:, t + 1, u] + emit[:, t, u - 1]
        )
    beta = xp.full((batch, max_t + 1, max_u + 1), -xp.inf, dtype=logits.dtype)
    beta[xp.arange(batch), logit_lengths, target_lengths] = 0
    for n in range(max_t + max_u - 2, -1, -1):
        t, u = _anti_diagonal(xp, n, max_t, max_u)
        value = xp.logaddexp(beta[:, t + 1, u] + skip[:, t, u], beta[:, t, u + 1] + emit[:, t, u])
        beta[:, t, u] = xp.where(inside[:, t, u], value, beta[:, t, u])
    return denom, alpha[:, 1:, 1:], beta


def _rnnt_costs(logits, targets, logit_lengths, target_lengths, blank, clamp, fused, grad):
    """torchaudio's ``rnnt_loss_forward``: the costs ``-beta[0, 0]`` and, when ``grad``,
    the gradient of each cost with respect to ``logits`` (else ``None``), on raw arrays in
    the logits' dtype (computed in float32 for float16, as torchaudio does)."""
    xp = backend.array_module(logits)
    dtype = logits.dtype
    logits = logits.astype(np.promote_types(dtype, np.float32), copy=False)
    logit_lengths = logit_lengths.astype(np.int64)
    target_lengths = target_lengths.astype(np.int64)
    max_t, max_u, num_classes = logits.shape[1:]
    # padded targets may hold anything: the cells that read them lie outside the sequence
    index = xp.clip(targets, 0, num_classes - 1)[:, None, :, None]
    inside = (xp.arange(max_t)[:, None] < logit_lengths[:, None, None]) & (
        xp.arange(max_u) < target_lengths[:, None, None] + 1
    )
    denom, alpha, beta = _rnnt_lattice(
        logits, index, logit_lengths, target_lengths, inside, blank, fused
    )
    costs = -beta[:, 0, 0]
    if not grad:
        return costs.astype(dtype), None
    cost = costs[:, None, None]
    after_skip = beta[:, 1:, :-1]  # beta(t + 1, u), 0 after the last blank
    after_emit = beta[:, :-1, 1:-1]  # beta(t, u + 1), for the cells that can emit
    # a label equal to the blank counts as the blank before the last frame, as in the kernel
    frames = xp.arange(max_t)[:, None]
    blank_wins = (targets[:, None, :] == blank) & (frames < logit_lengths[:, None, None] - 1)
    if fused:
        # the gradient through the log-softmax: the cell's occupancy times the softmax,
        # minus the occupancy of each of its two transitions
        g = logits + ((alpha + cost) - denom)[..., None]
        gradients = xp.exp(g + beta[:, :-1, :-1, None])
        g_emit = xp.take_along_axis(g[:, :, :-1], index, axis=-1)[..., 0]
        gradients[..., blank] -= xp.exp(g[..., blank] + after_skip)
    else:
        # the log probabilities are the logits: minus the occupancy of each transition
        g = cost[..., None] + logits
        gradients = xp.zeros_like(logits)
        g_emit = xp.take_along_axis(g[:, :, :-1], index, axis=-1)[..., 0] + alpha[:, :, :-1]
        gradients[..., blank] = -xp.exp(g[..., blank] + alpha + after_skip)
    emitted = xp.where(blank_wins, 0, xp.exp(g_emit + after_emit))
    is_target = xp.arange(num_classes) == index  # (B, 1, U - 1, D)
    gradients[:, :, :-1] -= xp.where(is_target, emitted[..., None], 0)
    if clamp > 0:
        gradients = xp.clip(gradients, -clamp, clamp)
    gradients = xp.where(inside[..., None], gradients, 0)
    return costs.astype(dtype), gradients.astype(dtype)


class _RNNTLoss(ember.autograd.Function):
    """The per-sequence costs; as in torchaudio, the gradient is computed with them and
    backward scales it by the incoming gradient (so it is not differentiable twice)."""

    @staticmethod
    def forward(ctx, logits, targets, logit_lengths, target_lengths, blank, clamp, fused):
        costs, gradients = _rnnt_costs(
            logits._data,
            targets._data,
            logit_lengths._data,
            target_lengths._data,
            blank,
            clamp,
            fused,
            ctx.needs_input_grad[0],
        )
        if gradients is not None:
            ctx.gradients = ember.Tensor._make(gradients)
        return ember.Tensor._make(costs)

    @staticmethod
    def backward(ctx, gy):
        return ctx.gradients * gy.reshape(-1, 1, 1, 1), None, None, None, None, None, None


def rnnt_loss(
    logits,
    targets,
    logit_lengths,
    target_lengths,
    blank=-1,
    clamp=-1,
    reduction="mean",
    fused_log_softmax=True,
):
    """Compute the RNN Transducer loss from *Sequence Transduction with Recurrent Neural
    Networks*.

    The RNN Transducer loss extends the CTC loss by defining a distribution over output
    sequences of all lengths, and by jointly modelling both input-output and output-output
    dependencies.

    As torchaudio's kernel, this runs the forward-backward recursion in log space and
    computes the gradient with the loss; ``clamp`` clamps that gradient. Besides float32
    and float16 (computed in float32), float64 logits are accepted (computed in float64),
    which torchaudio's kernel rejects.

    Args:
        logits (Tensor): Tensor of dimension `(batch, max seq length, max target length + 1,
            class)` containing output from joiner
        targets (Tensor): Tensor of dimension `(batch, max target length)` containing targets
            with zero padded
        logit_lengths (Tensor): Tensor of dimension `(batch)` containing lengths of each
            sequence from encoder
        target_lengths (Tensor): Tensor of dimension `(batch)` containing lengths of targets
            for each sequence
        blank (int, optional): blank label (Default: ``-1``)
        clamp (float, optional): clamp for gradients (Default: ``-1``)
        reduction (string, optional): Specifies the reduction to apply to the output:
            ``"none"`` | ``"mean"`` | ``"sum"``. (Default: ``"mean"``)
        fused_log_softmax (bool): set to False if calling log_softmax outside of loss
            (Default: ``True``)

    Returns:
        Tensor: Loss with the reduction option applied. If ``reduction`` is  ``"none"``, then
        size `(batch)`, otherwise scalar.
    """
    if reduction not in ["none", "mean", "sum"]:
        raise ValueError('reduction should be one of "none", "mean", or "sum"')

    if blank < 0:  # reinterpret blank index if blank < 0.
        blank = logits.shape[-1] + blank

    _check_rnnt(logits, targets, logit_lengths, target_lengths, blank)
    costs = _RNNTLoss.apply(
        logits, targets, logit_lengths, target_lengths, blank, clamp, fused_log_softmax
    )

    if reduction == "mean":
        return costs.mean()
    elif reduction == "sum":
        return costs.sum()

    return costs


# ---------------------------------------------------------------------------- edit distance


def edit_distance(seq1, seq2):
    """
    Calculate the word level edit (Levenshtein) distance between two sequences.

    The function computes an edit distance allowing deletion, insertion and
    substitution. The result is an integer.

    For most applications, the two input sequences should be the same type. If
    two strings are given, the output is the edit distance between the two
    strings (character edit distance). If two lists of strings are given, the
    output is the edit distance between sentences (word edit distance). Users
    may want to normalize the output by the length of the reference sequence.

    Each row of the table is computed at once: substitutions and deletions come from the row
    above, and the insertions along the row are a running minimum.

    Args:
        seq1 (Sequence): the first sequence to compare.
        seq2 (Sequence): the second sequence to compare.
    Returns:
        int: The distance between the first and second sequences.
    """
    len_sent2 = len(seq2)
    differ = np.array([[a != b for b in seq2] for a in seq1], dtype=np.int64)
    differ = differ.reshape(len(seq1), len_sent2)
    columns = np.arange(len_sent2 + 1)
    dold = columns
    for i in range(1, len(seq1) + 1):
        # without insertions: the substitution (free on a match) or the deletion
        dnew = np.empty_like(dold)
        dnew[0] = i
        dnew[1:] = np.minimum(dold[:-1] + differ[i - 1], dold[1:] + 1)
        # an insertion extends the cell to its left: dnew[j] = min_k<=j dnew[k] + (j - k)
        dold = np.minimum.accumulate(dnew - columns) + columns
    return int(dold[-1])
