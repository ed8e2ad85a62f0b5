"""The staff console: server-rendered pages over the same services as the CLI."""
