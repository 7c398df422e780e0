"""``python -m stancelib``: the same as the ``stancelib`` command."""

import sys

from ._cli import main

sys.exit(main())
