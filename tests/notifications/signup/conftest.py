from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def generous_code_limits(settings):
    """Codes tried per IP are counted in the real Redis across tests; tests of that limit set their own."""
    settings.SMS_CODE_TRIES_PER_IP = (10_000, 3600)
