"""``T5Transform``: SentencePiece ids, truncated, ended and padded for T5
(``torchtext.models.t5.t5_transform``)."""

from __future__ import annotations

from ember import nn

from ... import transforms as T
from ...functional import to_tensor
from .._assets import load_sp_model

__all__ = ["T5Transform"]


class T5Transform(nn.Module):
    """Tokenize text with a pre-trained SentencePiece model, truncate to ``max_seq_len - 1``
    ids, append ``eos_idx`` and pad the batch with ``padding_idx``: the T5 model's input.

    The ``sentencepiece`` package is needed (``pip install embertext[sentencepiece]``).

    Args:
        sp_model_path (str): Path (or URL) to pre-trained sentencepiece model.
        max_seq_len (int): Maximum sequence length accepted for inputs to T5 model.
        eos_idx (int): End-of-sequence token id.
        padding_idx (int): Padding token id.

    Example:
        >>> transform = T5Transform("spm_model", max_seq_len=10, eos_idx=1, padding_idx=0)
        >>> transform(["hello world", "attention is all you need!"])
    """

    def __init__(self, sp_model_path, max_seq_len, eos_idx, padding_idx):
        super().__init__()
        self.sp_model = load_sp_model(sp_model_path)
        self.max_seq_len = max_seq_len
        self.eos_idx = eos_idx
        self.padding_idx = padding_idx
        self.pipeline = T.Sequential(
            T.Truncate(self.max_seq_len - 1), T.AddToken(token=self.eos_idx, begin=False)
        )

    def forward(self, input):
        """``input`` (str or list of str) -> ids ``(N,)`` or padded ``(B, N)`` (int64)."""
        tokens = self.encode(input)
        return to_tensor(self.pipeline(tokens), padding_value=self.padding_idx)

    def encode(self, input):
        """Token ids of a sentence (``list[int]``) or of each of a list of sentences."""
        if isinstance(input, list) and all(isinstance(text, str) for text in input):
            return [self.sp_model.EncodeAsIds(text) for text in input]
        if isinstance(input, str):
            return self.sp_model.EncodeAsIds(input)
        raise TypeError("Input type not supported")

    def decode(self, input):
        """The sentence of a list of ids, or the sentences of a list of such lists."""
        if isinstance(input, list) and all(isinstance(ids, list) for ids in input):
            return [self.sp_model.DecodeIds(ids) for ids in input]
        if isinstance(input, list) and all(isinstance(i, int) for i in input):
            return self.sp_model.DecodeIds(input)
        raise TypeError("Input type not supported")
