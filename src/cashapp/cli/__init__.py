"""The ``cashapp`` command (Typer): builds settings and the engine, calls the use cases."""
