"""``python -m themetag`` runs the command-line interface."""

from .cli import main

main()
