"""The proof's own error: what it cannot model, it refuses instead of guessing."""


class ProofError(ValueError):
    """The proof cannot be set up faithfully (an unmodelled key, resource or principal)."""
