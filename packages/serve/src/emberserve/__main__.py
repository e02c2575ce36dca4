"""``python -m emberserve start|stop``."""

import sys

from .cli import main

sys.exit(main())
