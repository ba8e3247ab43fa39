"""The `modelops` command line."""

# The deployment package silences jsii's Node end-of-life banner (deployment/__init__.py). Imported first
# here, so that every command sets it before any path of its loads aws_cdk (deploy's synth, the sandbox's).
import deployment  # noqa: F401
