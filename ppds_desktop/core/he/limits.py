"""The homomorphic engine's limits that users see before any work: the key sizes they may
choose and the fewest records a cell may have to be answered. Light to import."""

KEY_SIZES = (2048, 3072)            # what users may choose; smaller sizes exist for tests only
DEFAULT_MIN_RECORDS = 5
