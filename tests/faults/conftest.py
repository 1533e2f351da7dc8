"""The fault-injection suite shares the helpers of the per-source tests one folder up."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
