"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) with STARTTLS from a self-signed
certificate made here, a login handler, and knobs: refuse a recipient, answer 451 a few times, hold
a message in DATA or RCPT until told to go on. Plus a small store with a hostile title."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperradar.ingest import ingest_records
from paperradar.models import Listing, Origin, Paper, Record, Summary
from paperradar.radar.profiles import Profile, add_profile
from paperradar.store import open_store

DAY = "2026-06-29"  # a Monday
HOSTILE = "<script>alert('x')</script> Robust & \"fast\" <b>parsing</b>"
USER, PASSWORD = "radar", "s3cret-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                               x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("cert")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@dataclass
class Handler:
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    temporary: int = 0  # answer 451 to this many DATA commands first
    hold_data: threading.Event | None = None  # DATA waits for this (after the message arrived)
    hold_rcpt: threading.Event | None = None
    in_rcpt: threading.Event = field(default_factory=threading.Event)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.in_rcpt.set()
        if self.hold_rcpt is not None:
            while not self.hold_rcpt.is_set():
                await asyncio.sleep(0.05)
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.temporary > 0:
            self.temporary -= 1
            return "451 4.3.0 try again later"
        self.received.append(message_from_bytes(envelope.original_content or envelope.content,
                                                policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.hold_data is not None:
            deadline = time.monotonic() + 60
            while not self.hold_data.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    host: str
    port: int
    security: str
    handler: Handler
    ca_file: Path


def _server(cert: tuple[Path, Path], security: str) -> Iterator[Server]:
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    handler = Handler()
    port = free_port()
    kwargs: dict = {"authenticator": handler.authenticate, "auth_require_tls": True}
    if security == "tls":  # the whole session is TLS, which aiosmtpd's auth_require_tls does not see
        kwargs.update(ssl_context=context, auth_require_tls=False)
    else:
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **kwargs)
    controller.start()
    try:
        yield Server("127.0.0.1", port, security, handler, cert[0])
    finally:
        if handler.hold_data is not None:
            handler.hold_data.set()
        if handler.hold_rcpt is not None:
            handler.hold_rcpt.set()
        controller.stop()


@pytest.fixture
def smtpd(cert: tuple[Path, Path]) -> Iterator[Server]:
    yield from _server(cert, "starttls")


@pytest.fixture
def smtpd_tls(cert: tuple[Path, Path]) -> Iterator[Server]:
    yield from _server(cert, "tls")


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, smtpd: Server) -> Server:
    """Settings pointing at the STARTTLS server, the password in its environment variable."""
    monkeypatch.setenv("PAPERRADAR_SMTP_HOST", smtpd.host)
    monkeypatch.setenv("PAPERRADAR_SMTP_PORT", str(smtpd.port))
    monkeypatch.setenv("PAPERRADAR_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("PAPERRADAR_SMTP_USER", USER)
    monkeypatch.setenv("PAPERRADAR_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("PAPERRADAR_SMTP_SENDER", "radar@lab.example")
    monkeypatch.setenv("PAPERRADAR_SMTP_CA_FILE", str(smtpd.ca_file))
    monkeypatch.setenv("PAPERRADAR_SMTP_TIMEOUT", "10")
    monkeypatch.setenv("PAPERRADAR_WEB_BASE_URL", "https://radar.example/")
    return smtpd


def papers() -> list[Paper]:
    out = [Paper("2606.00001", HOSTILE, ("Mallory <m@x>", "Eve & Bob"), "We parse markup safely.",
                 ("cs.CL", "cs.CR", "cs.LG"), version=1)]
    for n in range(2, 6):
        out.append(Paper(f"2606.0000{n}", f"Paper number {n} on graphs", (f"Author {n}",),
                         f"Abstract {n} about graphs.", ("cs.LG",), version=1))
    return out


def make_store(path: Path, email: str | None = "ana@example.org", **profile: object) -> Path:
    store = open_store(str(path))
    records = [Record(p, Origin("test"), Listing(p.arxiv_id, DAY, p.categories[0], i))
               for i, p in enumerate(papers())]
    ingest_records(store, records, "test")
    store.upsert_summaries([Summary("2606.00001", "extractive", "test", "English",
                                    "<img src=x onerror=alert(1)> tl;dr & more", "m", "me", "r", "c",
                                    created="2026-06-29T00:00:00Z")])
    add_profile(store, Profile("ana", email=email, **profile))  # type: ignore[arg-type]
    store.close()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_store(tmp_path / "papers.db")
