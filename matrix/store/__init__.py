"""Where results live: the append-only results store, the re-measurement log, the folders of
one run and the migration of stored keys."""
