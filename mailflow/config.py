"""Configuration: pydantic models loaded from TOML and passed in, never a global.

Every option is documented beside its default in ``config.example.toml``. Secrets are
never in the file itself: ``{ env = "NAME" }`` names an environment variable, ``{ file =
"path" }`` a file holding the secret (relative to the config file, like every path).
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import urllib.parse
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mailflow.domain import Role
from mailflow.errors import InputError
from mailflow.tomlfile import problems, read_toml

_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def _email(value: str) -> str:
    value = value.strip()
    if not _ADDR.match(value):
        raise ValueError("not an email address")
    return value.lower()


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use lower-case letters, digits, '-' and '_' (at most 64)")
    return value


Email = Annotated[str, AfterValidator(_email)]
Slug = Annotated[str, AfterValidator(_slug)]


def parse_duration(text: str) -> timedelta:
    """``"48h"``, ``"2d"``, ``"30m"`` → timedelta."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration such as '2d', '12h' or '30m': {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def _url_password(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).password
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LITERAL_SECRET = (
    "a secret is never written in the config file: give the name of an environment "
    'variable that holds it, { env = "VAR" }, or a file that holds it, { file = "path" } '
    "(relative to the config file, readable only by mailflow)"
)


class Secret(Strict):
    """Where a secret comes from: exactly one of an environment variable or a file."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_literal(cls, data: Any) -> Any:
        # The value itself in the file: say how to move it out (never echo it back).
        if isinstance(data, str | int | float):
            raise ValueError(LITERAL_SECRET)
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env (a variable name) or file (a path)")
        return self

    def reveal(self) -> str:
        """The secret's value; raises InputError naming the source (never the value)."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise InputError([f"environment variable {self.env} is not set"])
            return value
        assert self.file is not None
        try:
            return self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError([f"secret file {self.file}: {exc.strerror}"]) from None
        except UnicodeDecodeError:
            raise InputError([f"secret file {self.file}: not UTF-8 text"]) from None

    @property
    def source(self) -> str:
        """Where the secret is read from, for messages: never the value."""
        return f"environment variable {self.env}" if self.env else f"secret file {self.file}"


# HMAC keys shorter than their hash's block of output are guessable by brute force;
# 32 random bytes is what README's `head -c 32 /dev/urandom | base64` makes.
MIN_TOKEN_SECRET_BYTES = 32


class TokenSecret(Secret):
    """The key that signs reply addresses: a secret of at least 32 bytes."""

    def reveal(self) -> str:
        value = super().reveal()
        size = len(value.encode("utf-8"))
        if size < MIN_TOKEN_SECRET_BYTES:
            raise InputError(
                [
                    f"security.token_secret: the value in {self.source} is {size} bytes; "
                    f"it needs at least {MIN_TOKEN_SECRET_BYTES} random bytes "
                    "(make one with `head -c 32 /dev/urandom | base64`)"
                ]
            )
        return value


class TlsMode(StrEnum):
    IMPLICIT = "implicit"
    STARTTLS = "starttls"
    NONE = "none"


def _no_plaintext_remote(host: str, tls: TlsMode) -> None:
    if tls is TlsMode.NONE and not _is_loopback(host):
        raise ValueError(
            f"tls = 'none' is allowed only for a loopback host, not {host!r} "
            "(use 'implicit' or 'starttls')"
        )


def _no_ca_without_tls(ca_file: Path | None, tls: TlsMode) -> None:
    if ca_file is not None and tls is TlsMode.NONE:
        raise ValueError("ca_file is given but tls = 'none': certificates are not checked")


class Member(Strict):
    """A committee member (委員); one of them chair (会長), one deputy (会長職務代理)."""

    id: Slug
    name: str = Field(min_length=1)
    role: Role = Role.MEMBER
    addresses: list[Email] = Field(min_length=1)


class Department(Strict):
    """A responsible department (所管課) that answers questions."""

    id: Slug
    name: str = Field(min_length=1)
    addresses: list[Email] = Field(min_length=1)
    # Other names its staff sign with (an abbreviation, the name before a reorganisation),
    # so that such a closing line is read as the signature, not as the last answer.
    aliases: list[str] = Field(default_factory=list)


class Committee(Strict):
    id: Slug
    name: str = Field(min_length=1)
    address: Email  # the committee mailbox: From of every mail, base of plus-addresses
    staff_alerts: list[Email] = Field(min_length=1)
    secretariat: str = "事務局"
    contact: str = ""
    language: str = Field(default="ja", pattern="^(ja|en)$")
    timezone: str = "Asia/Tokyo"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Imap(Strict):
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    tls: TlsMode = TlsMode.IMPLICIT
    user: str
    password: Secret
    mailbox: str = "INBOX"
    processed_folder: str = "mailflow/processed"
    quarantine_folder: str = "mailflow/quarantine"
    after_processing: str = Field(default="move", pattern="^(move|flag)$")
    poll_interval_seconds: int = Field(default=60, ge=5)
    idle: bool = True
    fetch_batch: int = Field(default=200, ge=1, le=1000)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # PEM certificates trusted instead of the system's: a server whose certificate comes
    # from the city's own authority. Relative to the config file.
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _tls(self) -> Self:
        _no_plaintext_remote(self.host, self.tls)
        _no_ca_without_tls(self.ca_file, self.tls)
        return self


class Smtp(Strict):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    tls: TlsMode = TlsMode.STARTTLS
    user: str | None = None
    password: Secret | None = None
    envelope_sender: Email | None = None  # defaults to the committee address
    ca_file: Path | None = None  # as [imap] ca_file

    @model_validator(mode="after")
    def _checks(self) -> Self:
        _no_plaintext_remote(self.host, self.tls)
        _no_ca_without_tls(self.ca_file, self.tls)
        if (self.user is None) != (self.password is None):
            raise ValueError("give both user and password for SMTP AUTH, or neither")
        return self


class Database(Strict):
    """Where the store lives. A password is a secret like any other: never in the file."""

    # Default: the SQLite file mailflow.db in data_dir. A literal URL, or the whole URL
    # from a secret source ({ env = … } / { file = … }) when it must carry the password.
    url: str | Secret | None = None
    password: Secret | None = None  # for a literal url without one

    @model_validator(mode="after")
    def _no_literal_password(self) -> Self:
        if isinstance(self.url, str) and _url_password(self.url):
            raise ValueError(
                "url: carries a password in the file; give it as password = { env = … } "
                "or { file = … }, or the whole url as url = { env = … } (or ~/.pgpass)"
            )
        if self.password is not None and self.url is None:
            raise ValueError("password: given, but no url (the default SQLite file has none)")
        return self


class Approval(StrEnum):
    AUTO = "auto"  # send as soon as rendered
    STAFF = "staff"  # hold every outbound mail until staff approve it


class Policy(Strict):
    approval: Approval = Approval.AUTO
    reminders: list[str] = Field(default_factory=lambda: ["2d", "1d"])
    grace: str = "0m"  # accepted after a deadline before a mail counts as late
    late_mail: str = Field(default="accept", pattern="^(accept|hold)$")
    unanswered_at_distribution: str = Field(default="send_pending", pattern="^(send_pending|wait)$")
    name_askers_to_departments: bool = False
    auto_replies_per_address_per_day: int = Field(default=20, ge=1)
    # Mail from one member or department beyond this many within an hour is stored and
    # held for staff, not read into items: a loop or a flood, not a person writing.
    mails_per_sender_per_hour: int = Field(default=20, ge=1)

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, values: list[str]) -> list[str]:
        for v in values:
            parse_duration(v)
        return values

    @field_validator("grace")
    @classmethod
    def _grace(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def reminder_offsets(self) -> list[timedelta]:
        return sorted((parse_duration(v) for v in self.reminders), reverse=True)

    @property
    def grace_period(self) -> timedelta:
        return parse_duration(self.grace)


class Security(Strict):
    token_secret: TokenSecret
    trusted_authserv_id: str | None = None  # our border MTA's Authentication-Results id
    # Received headers our own inner servers (an LMTP hop) add above the border's results.
    inner_received_headers: int = Field(default=0, ge=0, le=10)
    auth_failure: str = Field(default="quarantine", pattern="^(quarantine|flag|ignore)$")


class Parsing(Strict):
    """The budget of one mail's parsing, in a worker process (services/parse_worker.py)."""

    cpu_seconds: float = Field(default=30.0, gt=0, le=3600)
    memory_mb: int = Field(default=1024, ge=256)
    isolate: bool = True  # false: parse inside the daemon, without the budget (debugging)


class Minutes(Strict):
    anonymous: bool = True
    non_disclosure_note: str = ""


class Web(Strict):
    """The staff console (`mailflow web`, `mailflow run --web`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)
    # Serving beyond loopback needs TLS here, or a TLS proxy in front (behind_proxy).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    behind_proxy: bool = False  # trust X-Forwarded-For/-Proto from a proxy on loopback
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    lockout_failures: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _tls_pair(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give both tls_cert and tls_key, or neither")
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def bind_problems(self, host: str) -> list[str]:
        """Why serving on ``host`` is refused: beyond loopback only with TLS or a proxy."""
        if _is_loopback(host) or self.tls or self.behind_proxy:
            return []
        return [
            f"web: serving on {host!r} (not loopback) needs web.tls_cert and web.tls_key, "
            "or behind_proxy = true with a TLS proxy in front"
        ]


class Config(Strict):
    """The whole configuration of one committee and the mailbox it runs on."""

    data_dir: Path = Path("data")
    committee: Committee
    members: list[Member] = Field(min_length=1)
    departments: list[Department] = Field(default_factory=list)
    imap: Imap | None = None
    smtp: Smtp | None = None
    database: Database = Database()
    policy: Policy = Policy()
    security: Security
    parsing: Parsing = Parsing()
    minutes: Minutes = Minutes()
    web: Web = Web()

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        errs: list[str] = []
        seen: dict[str, str] = {}
        for i, m in enumerate(self.members):
            for j, a in enumerate(m.addresses):
                where = f"members[{i}].addresses[{j}]"
                if a in seen:
                    errs.append(f"{where}: duplicate address, also at {seen[a]}")
                seen.setdefault(a, where)
        for i, d in enumerate(self.departments):
            for j, a in enumerate(d.addresses):
                where = f"departments[{i}].addresses[{j}]"
                if a in seen:
                    errs.append(f"{where}: duplicate address, also at {seen[a]}")
                seen.setdefault(a, where)
        if self.committee.address in seen:
            errs.append(f"committee.address: also used at {seen[self.committee.address]}")
        for label, ids in (
            ("members", [m.id for m in self.members]),
            ("departments", [d.id for d in self.departments]),
        ):
            for i, ident in enumerate(ids):
                if ident in ids[:i]:
                    errs.append(f"{label}[{i}].id: duplicate id {ident!r}")
        chairs = [i for i, m in enumerate(self.members) if m.role is Role.CHAIR]
        if len(chairs) != 1:
            errs.append(f"members: exactly one member needs role = 'chair' (found {len(chairs)})")
        deputies = [i for i, m in enumerate(self.members) if m.role is Role.DEPUTY]
        if len(deputies) > 1:
            errs.append(f"members[{deputies[1]}].role: only one deputy chair is allowed")
        if errs:
            raise ValueError("\n".join(errs))
        return self

    def resolve_paths(self, base: Path, source: Path | str = "config") -> Config:
        """Relative paths in the file are relative to the file, not to the working directory.

        Files named for TLS must exist now: a missing one is a config error, not a
        connection failure retried for ever.
        """
        update: dict[str, Any] = {"data_dir": (base / self.data_dir).resolve()}
        errs: list[str] = []
        secrets = self._secrets_beside(base)
        for key, section in (("imap", self.imap), ("smtp", self.smtp)):
            if section is not None and secrets.get(key):
                section = section.model_copy(update=secrets[key])
                update[key] = section
        for key in ("security", "database"):
            if secrets.get(key):
                update[key] = getattr(self, key).model_copy(update=secrets[key])
        for key, server in (("imap", self.imap), ("smtp", self.smtp)):
            if server is None or server.ca_file is None:
                continue
            ca_file = (base / server.ca_file).resolve()
            if not ca_file.is_file():
                errs.append(f"{source}: {key}.ca_file: no such file: {ca_file}")
            else:
                try:
                    ssl.create_default_context(cafile=str(ca_file))
                except ssl.SSLError as exc:
                    errs.append(f"{source}: {key}.ca_file: not PEM certificates: {exc.reason}")
            update[key] = update.get(key, server).model_copy(update={"ca_file": ca_file})
        if self.web.tls_cert is not None and self.web.tls_key is not None:
            files = {"tls_cert": (base / self.web.tls_cert).resolve(),
                     "tls_key": (base / self.web.tls_key).resolve()}  # fmt: skip
            errs += [f"{source}: web.{k}: no such file: {p}" for k, p in files.items()
                     if not p.is_file()]  # fmt: skip
            update["web"] = self.web.model_copy(update=files)
        if errs:
            raise InputError(errs)
        return self.model_copy(update=update)

    def _secrets_beside(self, base: Path) -> dict[str, dict[str, Secret]]:
        """Every `{ file = … }` secret with its path made absolute against `base`."""
        found: dict[str, dict[str, Secret]] = {}
        for path, secret in self.secrets():
            if secret.file is None or secret.file.is_absolute():
                continue
            section, _, field = path.partition(".")
            moved = secret.model_copy(update={"file": (base / secret.file).resolve()})
            found.setdefault(section, {})[field] = moved
        return found

    def secrets(self) -> list[tuple[str, Secret]]:
        """Every secret source of the config with its key path ("imap.password")."""
        out: list[tuple[str, Secret]] = [("security.token_secret", self.security.token_secret)]
        for key, section in (("imap", self.imap), ("smtp", self.smtp)):
            password = getattr(section, "password", None)
            if password is not None:
                out.append((f"{key}.password", password))
        if isinstance(self.database.url, Secret):
            out.append(("database.url", self.database.url))
        if self.database.password is not None:
            out.append(("database.password", self.database.password))
        return out

    @property
    def database_url(self) -> str:
        """The database URL, read from its secret source if it has one; no password added."""
        url = self.database.url
        if isinstance(url, Secret):
            return url.reveal()
        if url:
            return url
        return f"sqlite:///{self.data_dir / 'mailflow.db'}"

    @property
    def database_password(self) -> str | None:
        return self.database.password.reveal() if self.database.password else None

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)


def _split_model_errors(lines: list[str]) -> list[str]:
    # A model validator reports several problems in one message, one per line.
    out: list[str] = []
    for line in lines:
        head, _, rest = line.partition(": ")
        parts = rest.split("\n")
        if len(parts) == 1:
            out.append(line)
            continue
        prefix = head
        first = parts[0]
        # "file: (top level): a: b\nc: d" or "file: a: b\nc: d"
        if first.startswith("(top level): "):
            first = first.removeprefix("(top level): ")
        out.append(f"{prefix}: {first}")
        out.extend(f"{prefix}: {p}" for p in parts[1:])
    return out


def parse_config(data: dict[str, Any], source: Path | str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise InputError(_split_model_errors(problems(exc, source))) from None


def load_config(path: Path) -> Config:
    """Read, validate and resolve a config file; InputError lists every problem."""
    return parse_config(read_toml(path), path).resolve_paths(path.parent.resolve(), path)
