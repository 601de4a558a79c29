"""Allow ``python -m geoinf.cli``."""

from . import main

main()
