"""A real Dovecot IMAP server, configured and started in a temp dir by the tests themselves."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mailflow.adapters.pymap_embed import ImapEndpoint
from tests.harness.imap_probe import ImapProbe

LOOPBACK = "127.0.0.1"
DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
BINARY_ENV = "MAILFLOW_TEST_DOVECOT"
COMMITTEE_USER = "shingikai"
COMMITTEE_PASSWORD = "shingikai-pass"

_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 10.0


class DovecotError(RuntimeError):
    """Dovecot did not start or a doveadm command failed; the message carries its log."""


def dovecot_binary() -> str | None:
    """The dovecot executable, or None where it is not installed.

    MAILFLOW_TEST_DOVECOT names it where it is not Debian's (e.g. /usr/local/sbin).
    """
    chosen = os.environ.get(BINARY_ENV)
    if chosen is not None:
        return chosen if os.access(chosen, os.X_OK) else None
    if os.access(DOVECOT, os.X_OK):
        return DOVECOT
    return shutil.which("dovecot")


@dataclass(frozen=True)
class _Identities:
    """Which system users Dovecot's processes and mail files run as."""

    mail_user: str
    login_user: str
    internal_user: str
    internal_group: str
    mail_uid: int
    mail_gid: int


def _identities() -> _Identities:
    if os.geteuid() == 0:
        # Dovecot refuses uid 0 for mail storage; Debian's package creates dovenull
        # (pre-login) and dovecot (internal services) for privilege separation.
        mail = pwd.getpwnam("mail")
        return _Identities("mail", "dovenull", "dovecot", "dovecot", mail.pw_uid, mail.pw_gid)
    # Unprivileged, every process must be the same user: Dovecot cannot switch.
    me = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(os.getegid()).gr_name
    return _Identities(me.pw_name, me.pw_name, me.pw_name, group, me.pw_uid, me.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServerTls:
    """A certificate for Dovecot (PEM chain and key), e.g. issued by a `trustme.CA`."""

    cert_chain_pem: bytes
    key_pem: bytes


def _config(root: Path, port: int, ids: _Identities, tls_port: int | None = None) -> str:
    # Every path lives under `root` so that servers never share state, and nothing is
    # read from the system's /etc/dovecot. One passwd file per user: Dovecot opens a
    # new user's file on first login, where it would re-read one shared file only
    # after its once-a-second change check. No chroot: an unprivileged user cannot
    # chroot, and a loopback test server gains nothing from it. With TLS, STARTTLS is
    # offered on the plain port and implicit TLS on its own; plain logins stay allowed
    # so that one server serves both kinds of test.
    ssl = "no"
    imaps = "port = 0"
    if tls_port is not None:
        ssl = f"yes\nssl_cert = <{root}/tls/cert.pem\nssl_key = <{root}/tls/key.pem"
        imaps = f"address = {LOOPBACK}\n    port = {tls_port}\n    ssl = yes"
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = {LOOPBACK}
protocols = imap
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {ids.login_user}
default_internal_user = {ids.internal_user}
default_internal_group = {ids.internal_group}
first_valid_uid = {ids.mail_uid}
last_valid_uid = {ids.mail_uid}
first_valid_gid = {ids.mail_gid}
mail_location = maildir:{root}/mail/%u/Maildir
mail_uid = {ids.mail_uid}
mail_gid = {ids.mail_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd.d/%u
}}
userdb {{
  driver = static
  args = uid={ids.mail_uid} gid={ids.mail_gid} home={root}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {LOOPBACK}
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
"""


class DovecotServer:
    """`dovecot -F -c <our config>` with one passwd-file user, maildir under a fresh temp dir.

    A short temp dir under the system's temp root, not pytest's tmp_path: the unix
    sockets under base_dir must fit in 108 bytes, and dovenull must be able to reach them.
    """

    def __init__(
        self,
        user: str = COMMITTEE_USER,
        password: str = COMMITTEE_PASSWORD,
        binary: str | None = None,
        tls: ServerTls | None = None,
        extra: str = "",
    ) -> None:
        found = binary or dovecot_binary()
        if found is None:
            raise DovecotError("dovecot is not installed (Debian package dovecot-imapd)")
        self._binary = found
        self.user = user
        self.password = password
        self.host = LOOPBACK
        self.port = 0
        self.tls_port = 0  # implicit TLS (imaps), when started with `tls`
        self._tls = tls
        self._extra = extra  # more settings (a bench's larger process limits)
        self._ids = _identities()
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("dovecot is not running")
        return self._root

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def endpoint(self) -> ImapEndpoint:
        return ImapEndpoint(self.host, self.port, self.user, self.password)

    def start(self) -> DovecotServer:
        self._root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        # mkdtemp makes the dir 0700; Dovecot's unprivileged processes must traverse it.
        self._root.chmod(0o755)
        for name in ("run", "state", "mail", "passwd.d"):
            (self._root / name).mkdir()
        os.chown(self._root / "mail", self._ids.mail_uid, self._ids.mail_gid)
        self._write_passwd(self.user, self.password)
        if self._tls is not None:
            (self._root / "tls").mkdir(mode=0o700)
            (self._root / "tls" / "cert.pem").write_bytes(self._tls.cert_chain_pem)
            (self._root / "tls" / "key.pem").write_bytes(self._tls.key_pem)
        try:
            # Another process may take the probed port before Dovecot binds it.
            for _attempt in range(3):
                self.port = _free_port()
                if self._tls is not None:
                    self.tls_port = _free_port()
                tls_port = self.tls_port if self._tls is not None else None
                text = _config(self._root, self.port, self._ids, tls_port) + self._extra
                self.config_path.write_text(text)
                if self._launch():
                    return self
            raise DovecotError(f"dovecot could not bind a port:\n{self.log()}")
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        """Dovecot's own log and anything it printed before logging began, for failures."""
        parts = []
        for name in ("console.log", "dovecot.log"):
            try:
                parts.append((self.root / name).read_text(errors="replace"))
            except (OSError, RuntimeError):
                continue
        return "\n".join(parts) or "(no dovecot log)"

    def _launch(self) -> bool:
        # Output goes to a file, not a pipe: nobody reads a pipe while the server runs,
        # and a full one would block Dovecot.
        with (self.root / "console.log").open("ab") as console:
            self._process = subprocess.Popen(
                [self._binary, "-F", "-c", str(self.config_path)],
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                returncode, self._process = self._process.returncode, None
                if "Address already in use" in self.log():
                    return False
                raise DovecotError(f"dovecot exited with {returncode}:\n{self.log()}")
            if self._greets():
                return True
            time.sleep(0.05)
        self._kill()
        raise DovecotError(f"dovecot did not answer on port {self.port}:\n{self.log()}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _kill(self) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        # The master forks login, auth and imap children into its session; the whole
        # group goes, or stray imap processes outlive the test.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(_STOP_TIMEOUT)
                break
            except subprocess.TimeoutExpired:
                continue

    def stop(self) -> None:
        self._kill()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _write_passwd(self, user: str, password: str) -> None:
        if not user or "/" in user or ":" in user or user.startswith("."):
            raise ValueError(f"not a usable IMAP user name: {user!r}")
        path = self.root / "passwd.d" / user
        path.write_text(f"{user}:{{PLAIN}}{password}::::::\n")
        path.chmod(0o644)

    def add_user(self, user: str, password: str) -> ImapEndpoint:
        """Another mailbox on the same server (e.g. one per test on a shared server)."""
        self._write_passwd(user, password)
        return ImapEndpoint(self.host, self.port, user, password)

    def probe(self, account: ImapEndpoint | None = None) -> ImapProbe:
        """A new logged-in stdlib client (the committee user unless told); caller closes it."""
        who = account or self.endpoint
        return ImapProbe(who.host, who.port, who.user, who.password)

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this server's config; DovecotError with the log on failure."""
        command = [_doveadm_binary(self._binary), "-c", str(self.config_path), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_STOP_TIMEOUT)
        if done.returncode != 0:
            raise DovecotError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}\n{self.log()}"
            )
        return done.stdout

    def create_folders(self, *names: str, user: str | None = None) -> None:
        """Create mailboxes such as processed and quarantine."""
        self.doveadm("mailbox", "create", "-u", user or self.user, *names)

    def make_unreadable(self, raws: list[bytes]) -> None:
        """Make Dovecot unable to open these mails' files, as a damaged disk or a wrong
        permission would: a FETCH that includes one of them drops the connection."""
        ids = {raw.split(b"Message-ID:", 1)[1].split(b"\n", 1)[0].strip() for raw in raws}
        maildir = self.root / "mail" / self.user / "Maildir"
        hits = [
            path
            for path in [*maildir.joinpath("new").iterdir(), *maildir.joinpath("cur").iterdir()]
            if any(i in path.read_bytes() for i in ids)
        ]
        assert len(hits) == len(raws)
        for path in hits:
            path.chmod(0)

    def set_uidvalidity(self, value: int, mailbox: str = "INBOX", user: str | None = None) -> None:
        """Give `mailbox` a new UIDVALIDITY, as a restored or migrated server would.

        Every UID a client remembered for it is then void (RFC 3501 §2.3.1.1).
        """
        self.doveadm(
            "mailbox", "update", "-u", user or self.user, "--uid-validity", str(value), mailbox
        )

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _doveadm_binary(dovecot: str) -> str:
    beside = Path(dovecot).parent.parent / "bin" / "doveadm"
    if os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("doveadm") or DOVEADM
