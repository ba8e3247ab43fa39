"""Custom checkov checks for this repository's invariants (loaded with --external-checks-dir).

checkov loads the Python checks of a folder only when it has an `__init__.py`: keep this file.
"""
