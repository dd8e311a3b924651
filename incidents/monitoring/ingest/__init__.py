"""Probe webhooks, heartbeats and alert integrations: authenticate, parse, hand to monitoring."""
