"""``python -m enews``."""

from enews.cli import main

if __name__ == "__main__":
    main()
