"""The VAPID key pair browser push is signed with: checked when set, else made once per checkout.

Keys are base64url without padding, as browsers and the `web-push`/`vapid` tools write them: the
public key is the 65-byte uncompressed P-256 point (the page hands it to `pushManager.subscribe`), the
private key the 32-byte secret. Browsers tie each subscription to the public key, so a pair must
outlive restarts: a new pair silently orphans every browser subscribed so far.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class BadKey(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raise BadKey on anything else."""
    text = text.strip()
    if not text or any(c not in _B64URL for c in text.rstrip("=")):
        raise BadKey("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise BadKey("not base64url") from None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def public_key_of(private_key: str) -> str:
    """The public key for a private key given as base64url (raw 32 bytes, or DER as py_vapid takes)."""
    raw = b64url_decode(private_key)
    try:
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    except ValueError:
        raise BadKey("not a P-256 private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise BadKey("not a P-256 private key")
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def new_pair() -> tuple[str, str]:
    """A fresh (public, private) pair."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    return public_key_of(private), private


def local_pair(path: Path) -> tuple[str, str, bool]:
    """This checkout's (public, private) pair and whether it was made just now; the file is mode 0600.

    Web, worker and beat start together: the file appears whole or not at all (written aside, then
    linked into place), and whoever links second reads the winner's pair.
    """
    created = False
    if not path.exists():
        public, private = new_pair()
        aside = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump({"public_key": public, "private_key": private}, handle)
        try:
            os.link(aside, path)
            created = True
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.unlink(aside)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    stored = json.loads(path.read_text())
    return stored["public_key"], stored["private_key"], created
