"""genolog: an open platform for population-genomics cohorts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genolog.paths import Path, to_path

__all__ = ["Path", "__version__", "to_path"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`Path` and `to_path` where `cpg_utils` offers them (``from genolog import Path, to_path``): those of
    `genolog.paths`, imported on first use so that ``import genolog`` stays light."""
    if name in ("Path", "to_path"):
        import genolog.paths

        return getattr(genolog.paths, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
