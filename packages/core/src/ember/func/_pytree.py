"""The nested containers the transforms take and give (torch's ``torch.utils._pytree`` in
small): tuples (named tuples too), lists and dicts are nodes, anything else (``None`` too) is a
leaf."""

from __future__ import annotations

__all__ = ["TreeSpec", "tree_flatten", "tree_unflatten", "broadcast_prefix"]


class TreeSpec:
    """The structure of a pytree: its node type, dict keys (``context``) and children."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_=None, context=None, children=()):
        self.type = type_  # None: a leaf
        self.context = context
        self.children = children
        self.num_leaves = 1 if type_ is None else sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (
            isinstance(other, TreeSpec)
            and self.type is other.type
            and self.context == other.context
            and self.children == other.children
        )

    def __repr__(self):
        if self.type is None:
            return "*"
        children = ", ".join(map(repr, self.children))
        return f"TreeSpec({self.type.__name__}, {self.context}, [{children}])"

    def __str__(self):
        """The short form torch's ``treespec_pprint`` gives: ``(*, [*, *])``, ``{'a': *}``."""
        if self.type is None:
            return "*"
        if issubclass(self.type, dict):
            items = ", ".join(f"{k!r}: {c}" for k, c in zip(self.context, self.children))
            return "{" + items + "}"
        items = ", ".join(map(str, self.children))
        if issubclass(self.type, list):
            return f"[{items}]"
        return f"({items},)" if len(self.children) == 1 else f"({items})"


_LEAF = TreeSpec()


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves of ``tree`` in order, and its structure."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, (tuple, list)):
        return TreeSpec(type(tree), None, tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, dict):
        keys = list(tree)
        return TreeSpec(type(tree), keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return _LEAF


def tree_unflatten(leaves, spec):
    """The pytree of structure ``spec`` holding ``leaves`` (in ``tree_flatten``'s order)."""
    it = iter(leaves)
    return _unflatten(it, spec)


def _unflatten(it, spec):
    kind = spec.type
    if kind is None:
        return next(it)
    children = [_unflatten(it, c) for c in spec.children]
    if issubclass(kind, dict):
        return kind(zip(spec.context, children))
    if issubclass(kind, tuple) and hasattr(kind, "_fields"):  # a named tuple
        return kind(*children)
    return kind(children)


def broadcast_prefix(prefix, spec):
    """The leaves of ``prefix``, a tree whose structure is a prefix of ``spec``'s, each
    repeated once per leaf of ``spec`` beneath it (``in_dims=(0, None)`` against
    ``(x, {"a": y, "b": z})`` gives ``[0, None, None]``); None where they do not match."""
    if prefix is None or not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * spec.num_leaves
    if spec.type is None or type(prefix) is not spec.type:
        return None
    if isinstance(prefix, dict):
        if set(prefix) != set(spec.context):
            return None
        prefix = [prefix[k] for k in spec.context]
    elif len(prefix) != len(spec.children):
        return None
    flat = []
    for p, child in zip(prefix, spec.children):
        part = broadcast_prefix(p, child)
        if part is None:
            return None
        flat += part
    return flat
