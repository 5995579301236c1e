"""Old attribute names kept while users move to the new ones (see ``noise.py``, ``result.py``)."""

from __future__ import annotations

import warnings


def renamed(old: str, new: str, use: str) -> property:
    """A read-only property ``old`` that returns attribute ``new`` with a DeprecationWarning.

    **Arguments:** `old`: the deprecated name (said in the warning); `new`: the attribute it
    reads; `use`: what to use instead, said in the warning and the docstring.

    **Returns:** the property, to assign in a class body (``draws = renamed("draws", ...)``).
    """
    def get(self):
        warnings.warn(f"{type(self).__name__}.{old} is deprecated: {use}", DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"Deprecated: {use}.")
