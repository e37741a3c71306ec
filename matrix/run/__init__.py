"""Measuring: the engine (one cell), the runner inside the cell environments, the probes, the
grid run and process hygiene."""
