"""Probe results in, component status out: ingest, evaluation, rollups, active checks, retention."""
