import sys

from archgym.app.cli import main

sys.exit(main())
