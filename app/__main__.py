import sys

from vtc.app.cli import main

sys.exit(main())
