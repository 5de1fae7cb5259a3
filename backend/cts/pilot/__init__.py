"""`cts pilot`: the second pilot cycle (two hromadas, 2023) replayed at its real scale on a local chain."""
