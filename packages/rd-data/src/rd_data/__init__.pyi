"""Type stub of the package: its public API, which `__init__.py` loads lazily from it."""

from .collate import (
    PadCollator as PadCollator,
    collate_padded as collate_padded,
)
from .corpus import (
    import_corpus as import_corpus,
)
from .errors import (
    AssetNotFoundError as AssetNotFoundError,
    CorpusError as CorpusError,
    DatasetConfigError as DatasetConfigError,
    DownloadError as DownloadError,
    GatedRepoError as GatedRepoError,
    InvalidNameError as InvalidNameError,
    LinkError as LinkError,
    OfflineError as OfflineError,
    RdDataError as RdDataError,
    RemoteFileNotFoundError as RemoteFileNotFoundError,
    RepoNotFoundError as RepoNotFoundError,
    RevisionNotFoundError as RevisionNotFoundError,
    UploadError as UploadError,
)
from .hf_datasets import (
    dataset_dir as dataset_dir,
    download_dataset as download_dataset,
    load_local_dataset as load_local_dataset,
    save_dataset as save_dataset,
)
from .hf_models import (
    download_model as download_model,
    model_dir as model_dir,
    upload_model as upload_model,
)
from .images import (
    ImageBatches as ImageBatches,
    ShuffledBatchSampler as ShuffledBatchSampler,
    images_and_labels as images_and_labels,
    pad_crop_flip as pad_crop_flip,
)
from .links import (
    link_asset as link_asset,
)
from .paths import (
    get_assets_dir as get_assets_dir,
    get_datasets_dir as get_datasets_dir,
    get_models_dir as get_models_dir,
    get_outputs_dir as get_outputs_dir,
)
from .preprocess import (
    dataset_texts as dataset_texts,
    example_lengths as example_lengths,
    tokenize_dataset as tokenize_dataset,
)
from .sampler import (
    TokenBudgetBatchSampler as TokenBudgetBatchSampler,
)
from .tokenizer import (
    SPECIAL_TOKENS as SPECIAL_TOKENS,
    BPETokenizer as BPETokenizer,
)

__version__: str
