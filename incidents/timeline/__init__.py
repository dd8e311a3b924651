"""The verbs staff and automation use on incidents and maintenance; each writes its events and audit entry."""
