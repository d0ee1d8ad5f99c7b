"""Environment check, the same program as the `rd-doctor` console script (rd_tools.doctor).

    uv run --all-packages python tools/test_env.py [--json]   # = uv run --all-packages rd-doctor

Kept as a script so it runs from a checkout before rd-tools is installed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
from rd_tools.doctor import main

if __name__ == "__main__":
    sys.exit(main())
