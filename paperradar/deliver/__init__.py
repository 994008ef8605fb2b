"""Delivery: the morning e-mail (and the per-profile feed) for each reader profile.

- :mod:`paperradar.deliver.record` is the one owner of "what was delivered": it decides whether a
  (profile, date) still needs sending and moves its record through ``pending -> sending -> sent``
  (or ``failed``); nothing else writes the ``deliveries`` table.
- :mod:`paperradar.deliver.message` builds the e-mail (plain text + HTML with inlined CSS).
- :mod:`paperradar.deliver.smtp` talks to the SMTP server (STARTTLS or implicit TLS, login, timeouts)
  and says whether a failure is temporary, permanent, or left the outcome unknown.
- :mod:`paperradar.deliver.signing` makes and checks the signed links (feedback, unsubscribe, feed
  tokens) that work without a login.
"""

from paperradar.deliver.record import DeliveryOutcome, deliver_profile

__all__ = ["DeliveryOutcome", "deliver_profile"]
