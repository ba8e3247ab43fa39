"""Text that modelops did not write (registry descriptions, lineage, metric names, decision reasons), made
one inert line before any message shows it.

A model package can be created by calling SageMaker directly, past registration's checks, so every view
treats what the registry holds as untrusted: the PR body puts it in code spans (pr_body.code), the approver
email strips it to one defanged line (shared_services.handlers.message.plain). Both start here.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"


def _invisible(char: str) -> bool:
    """Control and format characters: C0/C1 controls, and bidi overrides or zero-width marks that change
    how the rest of a line reads without showing themselves."""
    return unicodedata.category(char) in ("Cc", "Cf")


def one_line(text: str, limit: int | None = None) -> str:
    """`text` on one line: every run of whitespace, control or format characters (newlines, U+2028 and
    bidi overrides among them) one space, trimmed, and cut to `limit` characters with an ellipsis."""
    visible = "".join(" " if _invisible(char) else char for char in text)
    flattened = re.sub(r"\s+", " ", visible).strip()
    if limit is not None and len(flattened) > limit:
        return flattened[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return flattened
