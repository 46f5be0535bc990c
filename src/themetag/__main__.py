"""The ``themetag`` command and ``python -m themetag``: the command-line interface (:mod:`themetag.cli`)."""

import signal
import sys


def run() -> None:
    """Start the command line. Ctrl-C while it is still being loaded (its first few tenths of a second) ends it
    as the signal's default does, silently (the shell reports 130), not with a traceback from inside an import;
    from then on it is one line and exit 130."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        from .cli import main

        signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):  # not the main thread (embedded): signals stay as they are
        from .cli import main
    try:
        main()
    except KeyboardInterrupt:  # between the start and a command's own handling of it
        sys.stderr.write("Error: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
