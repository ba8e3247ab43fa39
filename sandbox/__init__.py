"""The sandbox: a local AWS organisation on moto, reached through AWS_ENDPOINT_URL (see organization.py)."""
