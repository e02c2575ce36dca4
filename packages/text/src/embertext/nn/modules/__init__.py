from .multiheadattention import InProjContainer, MultiheadAttentionContainer, ScaledDotProduct

__all__ = ["InProjContainer", "MultiheadAttentionContainer", "ScaledDotProduct"]
