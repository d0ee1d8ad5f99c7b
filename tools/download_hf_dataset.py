"""Download a Hugging Face dataset into assets/datasets/ (same as the `rd-download-dataset` command).

Usage: uv run python tools/download_hf_dataset.py --name squad [--split train] [--config de-en]
"""

import sys

from rd_data.cli import download_dataset_main

if __name__ == "__main__":
    sys.exit(download_dataset_main())
