"""The delivery tests' fixtures live in tests/deliverkit.py, shared with the web tests."""

from deliverkit import cert, db, smtp_env, smtpd, smtpd_tls  # noqa: F401 - registers the fixtures
