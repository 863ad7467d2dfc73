"""Settings, the base error tree, logging and the clock. No business words live here."""
