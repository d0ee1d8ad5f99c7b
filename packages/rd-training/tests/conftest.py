"""Make the tests' helper module (`rd_training_testkit`) importable and keep torch single-threaded."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
torch.set_num_threads(1)
