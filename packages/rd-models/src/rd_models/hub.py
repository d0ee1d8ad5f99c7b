"""Save/load through ``huggingface_hub.PyTorchModelHubMixin``: config.json + model.safetensors.

The mixin writes the constructor's config to ``config.json`` and the weights with safetensors;
this subclass makes three things strict: weights are only ever read from safetensors (never a
pickled ``pytorch_model.bin``), weights saved from a ``torch.compile``d model load under their
own key names (no ``_orig_mod.`` prefix), and loading checks that every key matches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import safetensors.torch
from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from torch import Tensor, nn

_COMPILE_PREFIX = "_orig_mod."


def strip_compile_prefix(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """Remove the ``_orig_mod.`` prefixes ``torch.compile`` adds to state-dict keys."""
    return {key.replace(_COMPILE_PREFIX, ""): value for key, value in state_dict.items()}


class HubMixin(PyTorchModelHubMixin):
    """``PyTorchModelHubMixin`` that saves unwrapped models and loads safetensors only.

    ``model.save_pretrained(dir)`` writes ``config.json``, ``model.safetensors`` and a model card;
    ``Model.from_pretrained(dir_or_repo_id)`` rebuilds the model from the config, loads the weights
    (strictly, on ``map_location``) and returns it in eval mode. A repo id is fetched from the Hub
    (needs network or the local HF cache).
    """

    def _save_pretrained(self, save_directory: Path) -> None:
        # `compiled.save_pretrained(...)` reaches here with `self` the original module (the
        # wrapper forwards attribute lookups), so its state dict has no `_orig_mod.` prefix.
        model: nn.Module = self  # type: ignore[assignment]
        path = save_directory / constants.SAFETENSORS_SINGLE_FILE
        tmp = path.with_name(path.name + ".tmp")
        # save_model (not save_file) de-duplicates tied weights, which safetensors cannot alias.
        safetensors.torch.save_model(model, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs: Any,
    ) -> Any:
        model: Any = cls(**model_kwargs)
        if os.path.isdir(model_id):
            model_file = os.path.join(model_id, constants.SAFETENSORS_SINGLE_FILE)
            if not os.path.isfile(model_file):
                raise FileNotFoundError(f"no {constants.SAFETENSORS_SINGLE_FILE} in {model_id}")
        else:
            model_file = hf_hub_download(
                repo_id=model_id,
                filename=constants.SAFETENSORS_SINGLE_FILE,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                token=token,
                local_files_only=local_files_only,
            )
        state = strip_compile_prefix(safetensors.torch.load_file(model_file, device=map_location))
        missing, unexpected = _load_state(model, state)
        if strict and (missing or unexpected):
            raise ValueError(
                f"weights in {model_file} do not match {cls.__name__}: "
                f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
            )
        model.to(map_location)
        model.eval()
        return model


def _load_state(model: nn.Module, state: dict[str, Tensor]) -> tuple[list[str], list[str]]:
    """Load ``state`` non-strictly; return (missing, unexpected) keys, ignoring tied aliases.

    safetensors stores a tied tensor once, under one of its names; the other names of the same
    parameter are filled by loading that one.
    """
    result = model.load_state_dict(state, strict=False)
    own = model.state_dict()

    def storage(t: Tensor) -> tuple[int, int]:
        return t.untyped_storage().data_ptr(), int(t.storage_offset())

    loaded = {storage(own[key]) for key in state if key in own}
    missing = [key for key in result.missing_keys if storage(own[key]) not in loaded]
    return missing, list(result.unexpected_keys)
