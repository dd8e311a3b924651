from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required


def console_view(*perms: str):
    """Staff console access: logged in (else to the login page) and holding the permissions (else 403)."""

    def decorate(view):
        return login_required(
            permission_required(("incidents.view_console", *perms), raise_exception=True)(view)
        )

    return decorate
