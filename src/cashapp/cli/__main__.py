"""``python -m cashapp.cli``: the same command as the ``cashapp`` console script."""

from cashapp.cli.app import main

main()
