"""How far to trust a result: measuring stored results again from scratch (recheck, A/A)."""
