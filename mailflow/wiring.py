"""The composition root: the adapters each process talks to the world through.

The services know IMAP, SMTP, Chromium and the network only as the protocols of
`services.ports`; the CLI, the daemon, the worker, the console and the demo get their
`Services` here, with the real adapters put in. The IMAP and SMTP adapters (and their
client libraries) are imported when first used, so a short command pays for neither.
"""

from __future__ import annotations

import ssl

from mailflow.adapters.chromium import Chromium
from mailflow.adapters.probe import reachable
from mailflow.clock import Clock
from mailflow.config import Config, Imap, Smtp
from mailflow.services.context import Services
from mailflow.services.ports import Connector, MailSender, Ports


def smtp_sender(smtp: Smtp, committee_address: str) -> MailSender:
    from mailflow.adapters.smtp import sender

    return sender(smtp, committee_address)


def imap_connector(
    settings: Imap, password: str, ssl_context: ssl.SSLContext | None = None
) -> Connector:
    from mailflow.adapters.imap import connector

    return connector(settings, password, ssl_context)


PORTS = Ports(sender=smtp_sender, mailbox=imap_connector, printer=Chromium(), probe=reachable)


def services(config: Config, clock: Clock, actor: str = "staff") -> Services:
    """A committee's services with the real adapters."""
    return Services(config=config, clock=clock, actor=actor, ports=PORTS)
