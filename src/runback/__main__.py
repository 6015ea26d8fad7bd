"""``python -m runback``: the same entry point as the ``runback`` command."""

from runback.cli import main

if __name__ == "__main__":
    main(prog_name="runback")
