"""`python -m cli`: the `modelops` console script, for a profile's credential_process (sandbox/profiles.py)."""

from cli.main import main

main()
