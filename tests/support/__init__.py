"""Fakes, builders and fixtures shared by the tests and bench/, each defined once."""
