"""``python -m runback``: the same entry point as the ``runback`` command."""

from runback.replay import run

if __name__ == "__main__":
    run()
