"""`python -m secnews` is the `secnews` command."""

import sys

from .cli import main

sys.exit(main())
