"""`python -m demo`: run the lifecycle, exit 0 when it completed."""

from __future__ import annotations

import sys

from demo.lifecycle import main

sys.exit(main())
