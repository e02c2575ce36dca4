"""Operations, one ``Function`` per op, grouped by family.

Each module holds Function classes (``forward`` on arrays, ``backward`` in tensor ops) and the
public functions that call them; ``Tensor`` methods, ``ember.*`` and ``ember.nn.functional``
all reach the same Functions.
"""
