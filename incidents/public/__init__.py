"""What anyone may read: the status page, its JSON, history, feeds and their snapshots."""
