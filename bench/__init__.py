"""`make bench`: side-by-side load figures for the status page (see README, Benchmarks)."""
