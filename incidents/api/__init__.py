"""The staff REST API (token auth) for incidents, maintenance and component status."""
