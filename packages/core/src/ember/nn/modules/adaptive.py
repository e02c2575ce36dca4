"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al. for
large output spaces."""

from __future__ import annotations

import itertools
from collections import namedtuple

from ...ops.activation import log_softmax
from ...ops.shape import cat
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation (Grave et al., "Efficient softmax approximation for
    GPUs").

    The labels are partitioned by ``cutoffs`` into clusters, most frequent first: the
    ``cutoffs[0]`` labels of the shortlist and one entry per other cluster form the head; the
    labels of cluster ``i`` are scored by a tail ``Linear -> Linear`` whose hidden size is
    ``in_features // div_value ** (i + 1)``. The log-probability of a tail label is the head's
    log-probability of its cluster plus its log-probability within the cluster. Labels must be
    sorted by frequency (label 0 the most frequent).

    Args:
        in_features: number of features in the input tensor.
        n_classes: number of classes in the dataset.
        cutoffs: cutoffs used to assign targets to their buckets: unique, positive integers
            sorted in an increasing order, each between 1 and ``n_classes - 1``.
        div_value: value used as an exponent to compute sizes of the clusters. Default: 4.0.
        head_bias: if ``True``, adds a bias term to the 'head' of the adaptive softmax.
            Default: ``False``.
        device, dtype: where and in which dtype to create the parameters.

    Returns:
        ``forward(input, target)`` returns the named tuple ``_ASMoutput(output, loss)``:
        ``output`` ``(N,)`` holds the log-probability of each target, ``loss`` is the mean
        negative log-likelihood (a scalar).

    Shape:
        input ``(N, in_features)`` or ``(in_features)``; target ``(N)`` or ``()`` with
        ``0 <= target[i] <= n_classes - 1``; output ``(N)`` or ``()``.

    Attributes:
        head: ``Linear(in_features, cutoffs[0] + n_clusters)``.
        tail: ``ModuleList`` of ``Sequential(Linear, Linear)``, one per cluster past the
            shortlist.
    """

    def __init__(
        self,
        in_features,
        n_classes,
        cutoffs,
        div_value=4.0,
        head_bias=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > (n_classes - 1)
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, device=device, dtype=dtype),
                    Linear(hsz, osz, bias=False, device=device, dtype=dtype),
                )
            )

    def reset_parameters(self):
        """Resets parameters based on their initialization used in ``__init__``."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        targ_dim = target_.dim()
        if targ_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError(
                    "Input and target should have the same size in the batch dimension."
                )
            if input_.dim() != 2:
                raise RuntimeError(
                    "1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{input_.size()}"
                )
        elif targ_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(
                    "0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{input_.size()}"
                )
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        is_batched = targ_dim > 0
        input = input_ if is_batched else input_.unsqueeze(0)
        target = target_ if is_batched else target_.unsqueeze(0)

        used_rows = 0
        batch_size = target.size(0)
        output = input.new_zeros(batch_size)
        # the head entry each row reads: its label in the shortlist, else its cluster's
        gather_inds = target.new_empty(batch_size)
        cutoff_values = [0] + self.cutoffs
        for i in range(len(cutoff_values) - 1):
            low_idx = cutoff_values[i]
            high_idx = cutoff_values[i + 1]
            target_mask = (target >= low_idx) & (target < high_idx)
            row_indices = target_mask.nonzero().squeeze(1)
            if row_indices.numel() == 0:
                continue
            if i == 0:
                gather_inds[row_indices] = target[target_mask]
            else:
                relative_target = target[target_mask] - low_idx
                cluster_output = self.tail[i - 1](input.index_select(0, row_indices))
                gather_inds[row_indices] = self.shortlist_size + i - 1
                cluster_logprob = log_softmax(cluster_output, dim=1)
                local_logprob = cluster_logprob.gather(1, relative_target.unsqueeze(1))
                output[row_indices] = local_logprob.squeeze(1)
            used_rows += row_indices.numel()
        if used_rows != batch_size:
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{target.min().item()}, {target.max().item()}] were found. "
            )
        head_logprob = log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, gather_inds.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        if not is_batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """The log of the full distribution, from ``input`` and ``self.head``'s output."""
        head_logprob = log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i, _ in enumerate(itertools.pairwise(self.cutoffs)):
            cluster_logprob = log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input):
        """Compute log probabilities for all ``n_classes``.

        Args:
            input: a minibatch of examples, ``(N, in_features)``.

        Returns:
            log-probabilities for each class ``c`` in range ``0 <= c < n_classes``,
            ``(N, n_classes)``.
        """
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """Return the class with the highest probability for each example in the input
        minibatch.

        This is equivalent to ``self.log_prob(input).argmax(dim=1)``, but is more efficient in
        some cases: the tails are evaluated only for the rows whose best head entry is a
        cluster.

        Args:
            input: a minibatch of examples, ``(N, in_features)``.

        Returns:
            a class with the highest probability for each example, ``(N)``.
        """
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        not_in_shortlist = output >= self.shortlist_size
        if not not_in_shortlist.any():
            return output
        if not_in_shortlist.all():
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        log_prob = self._get_full_log_prob(input[not_in_shortlist], head_output[not_in_shortlist])
        output[not_in_shortlist] = log_prob.argmax(dim=1)
        return output
