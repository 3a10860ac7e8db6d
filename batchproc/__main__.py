"""`python -m batchproc`: the same command line as the `batchproc` script."""

import sys

from .cli.main import main

sys.exit(main())
