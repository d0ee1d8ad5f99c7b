"""Assets paths, Hugging Face dataset/model downloads, BPE tokenizers and token-budget batching.

`import rd_data` is light: datasets, huggingface_hub and torch are imported only by the
functions that need them.
"""

from importlib.metadata import version as _version

from rd_data.collate import PadCollator, collate_padded
from rd_data.errors import (
    AssetNotFoundError,
    DatasetConfigError,
    DownloadError,
    GatedRepoError,
    InvalidNameError,
    LinkError,
    OfflineError,
    RdDataError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    RevisionNotFoundError,
)
from rd_data.hf_datasets import dataset_dir, download_dataset, load_local_dataset, save_dataset
from rd_data.hf_models import download_model, model_dir
from rd_data.links import link_asset
from rd_data.paths import (
    get_assets_dir,
    get_datasets_dir,
    get_models_dir,
    get_outputs_dir,
)
from rd_data.preprocess import dataset_texts, example_lengths, tokenize_dataset
from rd_data.sampler import TokenBudgetBatchSampler
from rd_data.tokenizer import SPECIAL_TOKENS, BPETokenizer

__version__: str = _version("rd-data")

__all__ = [
    "SPECIAL_TOKENS",
    "AssetNotFoundError",
    "BPETokenizer",
    "DatasetConfigError",
    "DownloadError",
    "GatedRepoError",
    "InvalidNameError",
    "LinkError",
    "OfflineError",
    "PadCollator",
    "RdDataError",
    "RemoteFileNotFoundError",
    "RepoNotFoundError",
    "RevisionNotFoundError",
    "TokenBudgetBatchSampler",
    "__version__",
    "collate_padded",
    "dataset_dir",
    "dataset_texts",
    "download_dataset",
    "download_model",
    "example_lengths",
    "get_assets_dir",
    "get_datasets_dir",
    "get_models_dir",
    "get_outputs_dir",
    "link_asset",
    "load_local_dataset",
    "model_dir",
    "save_dataset",
    "tokenize_dataset",
]
