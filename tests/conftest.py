"""Shared pytest plugins: real servers (IMAP, SMTP, Dovecot) and real databases."""

pytest_plugins = ["tests.harness.fixtures", "tests.harness.database"]
