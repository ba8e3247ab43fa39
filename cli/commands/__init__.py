"""The `modelops` commands, one module per family; cli/main.py registers each module's COMMANDS."""
