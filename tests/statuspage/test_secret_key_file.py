"""The checkout's own secret key file is readable by its user only."""

from __future__ import annotations

import stat

from statuspage.env import local_secret_key


def test_a_new_key_file_is_created_with_mode_0600(tmp_path):
    path = tmp_path / ".secret_key"

    key = local_secret_key(path)

    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == key  # the same key on every start


def test_a_world_readable_key_file_from_before_is_tightened(tmp_path):
    path = tmp_path / ".secret_key"
    path.write_text("an-old-key-written-by-an-older-version")
    path.chmod(0o644)

    assert local_secret_key(path) == "an-old-key-written-by-an-older-version"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
