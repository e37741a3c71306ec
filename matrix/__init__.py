"""cython-memory-matrix: measure Cython memory-conversion idioms across Python, Cython and numpy."""
