"""``torchtext.nn``: the multi-head attention container and its parts."""

from .modules import InProjContainer, MultiheadAttentionContainer, ScaledDotProduct

__all__ = ["InProjContainer", "MultiheadAttentionContainer", "ScaledDotProduct"]
