"""The sandbox's IAM: every request authorized before moto acts on it (gate.py), as AWS authorizes it."""
