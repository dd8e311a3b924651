from __future__ import annotations


class DeliveryError(Exception):
    """A send failed; permanent errors are never retried and stop sends to the address."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent
