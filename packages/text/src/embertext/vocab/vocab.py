"""``Vocab``: the token <-> index map (``torchtext.vocab.Vocab``)."""

from __future__ import annotations

from ember import nn

__all__ = ["Vocab"]


class Vocab(nn.Module):
    r"""Creates a vocab object which maps tokens to indices.

    torchtext wraps a C++ object here; Ember keeps the two tables in Python (a list for
    index -> token, a dict for token -> index). Build one with ``vocab`` or
    ``build_vocab_from_iterator`` rather than directly.

    Args:
        vocab (list of str): the tokens, in index order, without duplicates.

    Raises:
        RuntimeError: ``vocab`` holds a token twice.

    Example:
        >>> v = Vocab(["<unk>", "hello", "world"])
        >>> v.set_default_index(v["<unk>"])
        >>> v(["hello", "there"])
        [1, 0]
    """

    def __init__(self, vocab):
        super().__init__()
        self._itos = []
        self._stoi = {}
        self._default_index = None
        for token in vocab:
            if token in self._stoi:
                raise RuntimeError(f"Duplicate token found in tokens list: {token}")
            self._stoi[token] = len(self._itos)
            self._itos.append(token)

    def forward(self, tokens):
        r"""Calls the `lookup_indices` method

        Args:
            tokens: a list of tokens used to lookup their corresponding `indices`.

        Returns:
            The indices associated with a list of `tokens`.
        """
        return self.lookup_indices(tokens)

    def __len__(self):
        r"""
        Returns:
            The length of the vocab.
        """
        return len(self._itos)

    def __contains__(self, token):
        r"""
        Args:
            token: The token for which to check the membership.

        Returns:
            Whether the token is member of vocab or not.
        """
        return token in self._stoi

    def __getitem__(self, token):
        r"""
        Args:
            token: The token used to lookup the corresponding index.

        Returns:
            The index corresponding to the associated token, or the default index when the
            token is out of vocabulary.

        Raises:
            RuntimeError: the token is out of vocabulary and no default index is set.
        """
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default_index is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return self._default_index

    def set_default_index(self, index):
        r"""
        Args:
            index: Value of default index. This index will be returned when OOV token is
                queried; ``None`` unsets it.
        """
        self._default_index = index

    def get_default_index(self):
        r"""
        Returns:
            Value of default index if it is set.
        """
        return self._default_index

    def insert_token(self, token, index):
        r"""
        Args:
            token: The token used to lookup the corresponding index.
            index: The index corresponding to the associated token.

        Raises:
            RuntimeError: If `index` is not in range [0, Vocab.size()] or if `token` already
                exists in the vocab. (For an existing token torchtext's message says
                "Token ... not found in Vocab"; Ember keeps that message.)
        """
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(
                f"Specified index {index} is out of bounds for vocab of size {len(self._itos)}"
            )
        if token in self._stoi:
            raise RuntimeError(f"Token {token} not found in Vocab")
        self._itos.insert(index, token)
        # every token from index on moves up by one
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    def append_token(self, token):
        r"""
        Args:
            token: The token used to lookup the corresponding index.

        Raises:
            RuntimeError: If `token` already exists in the vocab
        """
        if token in self._stoi:
            raise RuntimeError(
                f"Token {token} already exists in the Vocab with index: {self._stoi[token]}"
            )
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def lookup_token(self, index):
        r"""
        Args:
            index: The index corresponding to the associated token.

        Returns:
            token: The token used to lookup the corresponding index.

        Raises:
            RuntimeError: If `index` not in range [0, itos.size()).
        """
        if not 0 <= index < len(self._itos):
            raise RuntimeError(
                f"Specified index {index} is out of bounds for vocab of size {len(self._itos)}"
            )
        return self._itos[index]

    def lookup_tokens(self, indices):
        r"""
        Args:
            indices: The `indices` used to lookup their corresponding`tokens`.

        Returns:
            The `tokens` associated with `indices`.

        Raises:
            RuntimeError: If an index within `indices` is not int range [0, itos.size()).
        """
        size = len(self._itos)
        for position, index in enumerate(indices):
            if not 0 <= index < size:
                raise RuntimeError(
                    f"Specified index {index} at position {position} is out of bounds for "
                    f"vocab of size {size}"
                )
        return [self._itos[index] for index in indices]

    def lookup_indices(self, tokens):
        r"""
        Args:
            tokens: the tokens used to lookup their corresponding `indices`.

        Returns:
            The 'indices` associated with `tokens`.

        Raises:
            RuntimeError: a token is out of vocabulary and no default index is set.
        """
        stoi = self._stoi
        if self._default_index is not None:
            default = self._default_index
            return [stoi.get(token, default) for token in tokens]
        try:
            return [stoi[token] for token in tokens]
        except KeyError as missing:
            raise RuntimeError(
                f"Token {missing.args[0]} not found and default index is not set"
            ) from None

    def get_stoi(self):
        r"""
        Returns:
            Dictionary mapping tokens to indices.
        """
        return dict(self._stoi)

    def get_itos(self):
        r"""
        Returns:
            List mapping indices to tokens.
        """
        return list(self._itos)
