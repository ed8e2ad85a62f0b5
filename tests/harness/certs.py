"""A throwaway certificate authority (trustme) for TLS tests on loopback.

Nothing outside a test trusts it: a client context trusts it only when built by
`client_context()`; the system's default context does not.
"""

from __future__ import annotations

import ssl

import trustme

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class LoopbackCa:
    """One CA per instance; server certificates for loopback, client contexts that trust it."""

    def __init__(self) -> None:
        self._ca = trustme.CA()

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server context with a fresh certificate for `names` (default: 127.0.0.1, localhost)."""
        cert = self._ca.issue_cert(*(names or LOOPBACK_NAMES))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def server_pem(self, *names: str) -> tuple[bytes, bytes]:
        """(certificate chain, private key) in PEM for `names`, for servers that read files."""
        cert = self._ca.issue_cert(*(names or LOOPBACK_NAMES))
        return b"".join(pem.bytes() for pem in cert.cert_chain_pems), cert.private_key_pem.bytes()

    def ca_pem(self) -> bytes:
        """The authority's own certificate in PEM, as a `ca_file` holds it."""
        return self._ca.cert_pem.bytes()

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context (hostname checked) that trusts this CA and no other."""
        return ssl.create_default_context(cadata=self.ca_pem().decode("ascii"))
