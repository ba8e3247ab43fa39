"""`python -m tests.orgs draft-access`: redraft tests/orgs/two_env/access.yaml after a policy change."""

from __future__ import annotations

import os
import sys

from tests.orgs import draft_access

if __name__ == "__main__":
    if sys.argv[1:] != ["draft-access"]:
        sys.exit("usage: python -m tests.orgs draft-access")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    draft_access("two_env")
