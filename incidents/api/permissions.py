"""Staff API access from the Django permissions the roles (statuspage.staff) grant."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

VIEW = ("incidents.view_console",)
# The console's Responder set: declaring, editing and updating incidents and maintenance.
WRITE_INCIDENTS = (
    *VIEW,
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.add_incidentupdate",
)
SET_COMPONENT_STATUS = (*VIEW, "incidents.change_component_status")


class RolePermission(BasePermission):
    """Reads need the view's `read_permissions`, writes its `write_permissions`.

    Anonymous requests are refused here too, and DRF answers them with a 401.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.has_perms(view.read_permissions)
        return user.has_perms(view.write_permissions)
