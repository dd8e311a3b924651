"""What every channel shares: the error a send raises."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send failed; permanent errors are never retried and stop sends to the address.

    `maybe_sent` says the provider may have taken the message anyway (the request went out and
    no answer came back), so the next attempt asks the provider before sending again.
    """

    def __init__(self, message: str, *, permanent: bool, maybe_sent: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.maybe_sent = maybe_sent
