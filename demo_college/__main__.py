"""``python -m demo_college``: generate the demo college (see demo_college.generate.main)."""

from demo_college.generate import main

raise SystemExit(main())
