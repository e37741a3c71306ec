"""What to measure: the interpreters found here, the release index, the grid planned from the
axes, shards and bisection."""
