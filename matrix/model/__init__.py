"""The model both sides share: cases, cells, the interpreter kinds, records and outcomes with
their facts, the outcome policy, selection of current records, the diff, re-measurement verdicts
and error lines.

Pure data and pure functions (reading case, data and JSON-lines files at most): the report imports
nothing else from :mod:`matrix`, and importing this package never loads the engine (a test
keeps it so)."""
