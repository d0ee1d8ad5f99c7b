"""`<run>/model/`: everything `translate` and `evaluate` need, as one folder to share.

    config.json, model.safetensors   `Transformer.save_pretrained` (`from_pretrained` loads them)
    tokenizer.json                   the run's BPE tokenizer
    config.yaml                      the run's resolved config: languages, dataset, decoding
    run.json                         provenance: run name, step, git commit, package versions
    README.md                        a model card: the test scores, the run's provenance, usage

`translate` and `evaluate` take such a folder, or a Hub model id whose repository holds one
(downloaded first with `rd-download-model`, as every asset is: nothing downloads at run time).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paper_transformer.errors import UserError

if TYPE_CHECKING:
    from paper_transformer.config import Config
    from rd_models import Transformer

FILES = ("config.json", "model.safetensors", "tokenizer.json", "config.yaml")
"""What makes a folder a model folder (README.md is for people)."""


def is_model_folder(path: Path) -> bool:
    """True when `path` holds every file of a model folder."""
    return all((path / name).is_file() for name in FILES)


def resolve_model_path(path: Path) -> Path:
    """`path` itself when it exists; else the downloaded copy of the Hub model id it spells.

    Raises:
        UserError: neither a path nor a downloaded model (names the download command).
    """
    if path.exists():
        return path
    from rd_data import InvalidNameError, model_dir

    repo_id = str(path)
    try:
        local = model_dir(repo_id)
    except InvalidNameError:
        raise UserError(f"{path} does not exist") from None
    if local.is_dir():
        return local
    raise UserError(
        f"{path} is neither a path nor a downloaded model; if it is a Hub model id, download it "
        f"with `uv run rd-download-model --repo-id {repo_id}`"
    )


def write_model_folder(
    folder: Path,
    model: Transformer,
    run_dir: Path,
    cfg: Config,
    metrics: dict[str, float],
    split: str,
) -> Path:
    """Save `model` with the run's tokenizer, config (`cfg`, as its config.yaml holds it) and a
    model card into `folder`."""
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "config.yaml"):
        shutil.copyfile(run_dir / name, folder / name)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    # What others may see: no host name, working directory or command line.
    provenance = {k: manifest.get(k) for k in ("git_sha", "git_dirty", "packages", "torch")}
    run = {"run": run_dir.name, "step": manifest.get("final_step"), **provenance, split: metrics}
    (folder / "run.json").write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(model_card(cfg, run, split), encoding="utf-8")
    return folder


def model_folder_step(folder: Path) -> int:
    """The training step of a model folder's weights (0 when its run.json does not say)."""
    try:
        return int(json.loads((folder / "run.json").read_text(encoding="utf-8"))["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def evaluation_dir(folder: Path) -> Path:
    """Where `evaluate` of a model folder writes: its run for `<run>/model`, else (created)
    `assets/outputs/transformer/evaluate-<name>` (a downloaded model's folder stays as it came)."""
    if folder.name == "model" and (folder.parent / "manifest.json").is_file():
        return folder.parent
    from rd_data import get_models_dir, get_outputs_dir

    try:
        models = get_models_dir(create=False).resolve()
        name = "__".join(folder.resolve().relative_to(models).parts)
    except ValueError:
        name = folder.name
    out = get_outputs_dir() / "transformer" / f"evaluate-{name}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def model_card(cfg: Config, run: dict[str, Any], split: str) -> str:
    """A Hub model card: metadata (languages, dataset, metrics) and how to use the folder.

    `run` is what run.json holds: the run's name, step, git commit and `split`'s metrics."""
    from huggingface_hub import ModelCardData

    data = cfg.data
    card = ModelCardData(
        language=[data.source_lang, data.target_lang],
        library_name="rd-models",
        license="mit",
        tags=["translation", "transformer", "paper-transformer"],
        datasets=[data.dataset] if "/" in data.dataset else None,
        pipeline_tag="translation",
    )
    scores = "\n".join(f"| {k} | {v:.2f} |" for k, v in run[split].items())
    m = cfg.model
    return f"""---
{card.to_yaml()}
---

# {run["run"]}: a Transformer ({data.source_lang} → {data.target_lang})

Trained with paper-transformer ("Attention Is All You Need") for
{run["step"]} steps on `{data.dataset}`:
{m.num_encoder_layers}+{m.num_decoder_layers} layers, d_model {m.d_model}, {m.n_heads} heads.
Git commit `{run["git_sha"]}`{" (with local changes)" if run["git_dirty"] else ""}.

| metric ({split} split) | value |
|---|---|
{scores}

```bash
uv run --package paper-transformer translate <this folder or its Hub id> "a sentence"
```

```python
from rd_models import Transformer
model = Transformer.from_pretrained("<this folder>")  # tokenizer.json is the BPE tokenizer
```
"""
