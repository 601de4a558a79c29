"""Allow ``python -m geoinf``."""

from .cli import main

main()
