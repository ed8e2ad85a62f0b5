"""SMTP out: aiosmtplib from the config, one message per transaction, errors sorted by fate.

A reply in 4xx, a dropped connection or a timeout is *temporary* (try again later);
5xx is *permanent* (RFC 5321 §4.2.1), except where it refuses the session rather than
the mail (a failed login, 530). TLS is implicit or STARTTLS with a verifying context;
plain text only on loopback, which the config already enforces.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import aiosmtplib

from mailflow.config import Smtp, TlsMode
from mailflow.services.ports import Accepted, SendFailure


@dataclass(frozen=True)
class SmtpSettings:
    """What the client needs, the secret already resolved (never printed: repr=False)."""

    host: str
    port: int
    tls: TlsMode
    envelope_sender: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None  # None: verify against ca_file or the system
    ca_file: Path | None = None

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host}:{self.port}, tls={self.tls.value})"

    @classmethod
    def from_config(cls, smtp: Smtp, committee_address: str) -> SmtpSettings:
        return cls(
            host=smtp.host,
            port=smtp.port,
            tls=smtp.tls,
            envelope_sender=smtp.envelope_sender or committee_address,
            user=smtp.user,
            password=smtp.password.reveal() if smtp.password is not None else None,
            ca_file=smtp.ca_file,
        )


def sender(smtp: Smtp, committee_address: str) -> SmtpSender:
    """The configured server's sender (the port `services.ports.SenderFactory`)."""
    return SmtpSender(SmtpSettings.from_config(smtp, committee_address))


class SmtpSender:
    """One connection, opened on first use and reopened after any failure.

    ``async with SmtpSender(settings) as sender: await sender.send(rcpts, raw)``.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> SmtpSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def send(self, recipients: Sequence[str], raw: bytes) -> Accepted:
        """Send one message; raises SendFailure (the connection is dropped then)."""
        try:
            client = await self._connected()
            errors, reply = await client.sendmail(
                self.settings.envelope_sender, list(recipients), raw
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._drop()
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise SendFailure(
                f"every recipient refused: {text}",
                temporary=any(400 <= c < 500 for c in codes),
                code=max(codes) if codes else None,
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            await self._drop()
            # A wrong password is the operator's to fix; the mail itself is fine.
            raise SendFailure(
                f"authentication failed: {exc.code} {exc.message}", temporary=True, code=exc.code
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            await self._drop()
            # 530 refuses the session, not this mail: "Must issue a STARTTLS command
            # first" (RFC 3207 §4) or "Authentication required" (RFC 4954 §6). Like a
            # wrong password it is the operator's to fix, and every queued mail would
            # get it: failing each for good would throw the whole queue away.
            temporary = exc.code == 530 or not 500 <= exc.code < 600
            raise SendFailure(
                f"{exc.code} {exc.message}", temporary=temporary, code=exc.code
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Connection refused, reset, timed out, or closed after DATA before the reply:
            # whether the server kept the mail is unknown; trying again is the only safe
            # choice, and a duplicate then carries the same Message-ID. A failed TLS
            # setup lands here too (certificate not trusted, expired or for another
            # name; STARTTLS not offered) before any command goes out in clear. That is
            # a configuration problem, the same for every mail: temporary keeps each
            # mail queued, its last_error naming the cause, until staff fix it (or the
            # outbox gives up after max_attempts, with an event); permanent would fail
            # the whole queue at once, for good.
            await self._drop()
            raise SendFailure(f"connection: {type(exc).__name__}: {exc}", temporary=True) from None
        refused = tuple((addr, resp.code, resp.message) for addr, resp in sorted(errors.items()))
        return Accepted(reply=reply, refused=refused)

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self.settings
        # Loading the system's CAs costs ~20 ms a connection: only TLS pays it.
        context = None
        if s.tls is not TlsMode.NONE:
            cafile = None if s.ca_file is None else str(s.ca_file)
            context = s.tls_context or ssl.create_default_context(cafile=cafile)
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout,
            use_tls=s.tls is TlsMode.IMPLICIT,
            start_tls=s.tls is TlsMode.STARTTLS,
            tls_context=context,
            validate_certs=s.tls is not TlsMode.NONE,
        )
        await client.connect()
        if s.user is not None and s.password is not None:
            await client.login(s.user, s.password)
        self._client = client
        return client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
