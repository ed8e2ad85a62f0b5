"""`python -m mailflow` runs the CLI."""

from mailflow.cli import main

main()
