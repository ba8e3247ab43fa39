"""The deployment account: the CDK app's composition, both pipeline engines, their roles, and `make generate`."""

import os

# jsii starts Node when aws_cdk is first imported, and prints an end-of-life banner for the Node 20 the
# toolchain pins (README: Node 20 or 22). Every CDK entry point imports this package first.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
