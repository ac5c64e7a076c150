"""A dict whose top level cannot be changed (like `frozendict`, which cpg_utils returns)."""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict[str, Any]):
    """A `dict` that refuses changes at the top level; nested tables stay ordinary dicts."""

    def _readonly(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("the config is read-only; build a new dict (e.g. dict(config)) to change it")

    __setitem__ = __delitem__ = __ior__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        import copy

        return FrozenDict(copy.deepcopy(dict(self), memo))
