"""`python -m micrograd_ko`: the same as the `micrograd-ko` command."""

import sys

from .cli import main

sys.exit(main())
