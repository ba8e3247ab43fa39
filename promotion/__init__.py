"""The promotion engine: registry reads and writes, gates, manifests, decisions, deploys and the board.

The `modelops` CLI (cli/) and, later, the review-page Lambda are thin callers of these modules.
"""
