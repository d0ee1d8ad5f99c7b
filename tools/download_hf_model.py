"""Download a Hugging Face model into assets/models/ (same as the `rd-download-model` command).

Usage: uv run python tools/download_hf_model.py --repo-id bert-base-uncased [--filename pytorch_model.bin]
"""

import sys

from rd_data.cli import download_model_main

if __name__ == "__main__":
    sys.exit(download_model_main())
