import sys

from wufei_geo.cli import main

sys.exit(main())
