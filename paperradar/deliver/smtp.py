"""One SMTP delivery attempt, and what its failure means.

``starttls`` (default, port 587) upgrades a plain connection, ``tls`` is implicit TLS (port 465),
``none`` is for a relay on loopback only. Certificates are verified (the system's CAs, or
``smtp.ca_file``); the login password is read only from the environment variable
``smtp.password_env`` names. Every step has a timeout (``smtp.timeout``).

A failure is :class:`Temporary` (a 4xx reply, the server unreachable or dropping the line before
``DATA``: try again), :class:`Permanent` (a 5xx reply, a refused login or certificate: retrying
the same thing will not help until someone fixes it) or :class:`Uncertain` (the line dropped or
timed out after the message was handed over in ``DATA`` and before the server's reply: it may have
been accepted). The caller is told just before ``DATA`` begins (``on_data``), so it can record that
the outcome may from then on be unknown.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from paperradar import config
from paperradar.errors import ConfigError, DeliveryError

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class Temporary(DeliveryError):
    """Try again later: a 4xx reply or a connection that failed before the message was sent."""


class Permanent(DeliveryError):
    """Refused for good: a 5xx reply, a bad login, a certificate that does not verify."""


class Uncertain(DeliveryError):
    """The connection broke after the message was handed over: it may have been accepted."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password_env: str = "PAPERRADAR_SMTP_PASSWORD"
    sender: str | None = None
    timeout: float = 30.0
    retries: int = 3
    ca_file: str | None = None

    @classmethod
    def from_config(cls, host: str | None = None, port: int | None = None) -> SmtpSettings | None:
        """Settings from flags (``host``, ``port``) over ``smtp.*``; None when no host is configured."""
        host = host or config.get("smtp.host")
        if not host:
            return None
        security = (config.get("smtp.security") or "starttls").lower()
        if security not in SECURITY:
            raise ConfigError(f"smtp.security {security!r}: use one of {', '.join(SECURITY)}")
        return cls(host=host, port=port or config.get("smtp.port") or DEFAULT_PORTS[security],
                   security=security, user=config.get("smtp.user"),
                   password_env=config.get("smtp.password_env"), sender=config.get("smtp.sender"),
                   timeout=float(config.get("smtp.timeout")), retries=max(1, int(config.get("smtp.retries"))),
                   ca_file=config.get("smtp.ca_file"))

    def password(self) -> str:
        value = os.environ.get(self.password_env)
        if not value:
            raise Permanent(f"${self.password_env} is not set: it should hold the SMTP password for "
                            f"{self.user} (smtp.password_env names the variable, never the password)")
        return value

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)


def _reply(code: int, text: bytes | str, step: str) -> DeliveryError:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    what = f"{step}: {code} {message}".strip()
    return Temporary(what) if 400 <= code < 500 else Permanent(what)


def _connect(s: SmtpSettings) -> smtplib.SMTP:
    if s.security == "tls":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
    else:
        conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
    conn.ehlo()
    if s.security == "starttls":
        if not conn.has_extn("starttls"):
            raise Permanent(f"{s.host}:{s.port} does not offer STARTTLS (set smtp.security)")
        code, text = conn.starttls(context=s.tls_context())
        if code != 220:
            raise _reply(code, text, "STARTTLS")
        conn.ehlo()
    if s.user:
        try:
            conn.login(s.user, s.password())
        except smtplib.SMTPAuthenticationError as exc:
            raise _reply(exc.smtp_code, exc.smtp_error, "login") from exc
    return conn


def send_once(s: SmtpSettings, sender: str, recipient: str, message: bytes,
              on_data: Callable[[], None]) -> str:
    """Hand ``message`` to the server for ``recipient``; returns the server's acceptance reply."""
    where = f"{s.host}:{s.port}"
    conn: smtplib.SMTP | None = None
    in_data = False
    try:
        conn = _connect(s)
        code, text = conn.mail(sender)
        if code != 250:
            raise _reply(code, text, f"MAIL FROM {sender}")
        code, text = conn.rcpt(recipient)
        if code not in (250, 251):
            raise _reply(code, text, f"recipient {recipient}")
        on_data()
        in_data = True
        code, text = conn.data(message)
        in_data = False
        if code != 250:
            raise _reply(code, text, "DATA")
        return f"{code} {text.decode('utf-8', 'replace')}"
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        in_data = False  # the server answered: not accepted
        raise _reply(exc.smtp_code, exc.smtp_error, "SMTP") from exc
    except ssl.SSLCertVerificationError as exc:
        raise Permanent(f"{where}: the server's certificate does not verify ({exc.verify_message}); "
                        "set smtp.ca_file for a private CA") from exc
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"{where}: {type(exc).__name__}: {exc}" if str(exc) else f"{where}: {type(exc).__name__}"
        if in_data:
            raise Uncertain(f"the connection broke while the message was being sent ({reason}); "
                            "it may have been delivered") from exc
        if isinstance(exc, (socket.gaierror,)):
            raise Permanent(f"{where}: unknown host ({exc})") from exc
        raise Temporary(reason) from exc
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
