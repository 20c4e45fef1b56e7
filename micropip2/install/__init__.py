"""Reading, validating, writing and removing wheels (the binary distribution format, PEP 427/491)."""
