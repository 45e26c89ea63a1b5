"""`python -m latentjam` runs the command-line interface."""

import sys

from latentjam.cli import main

sys.exit(main())
