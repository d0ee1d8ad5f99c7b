"""load_config: YAML -> nested typed dataclasses; errors name the dotted key; overrides; saving."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from rd_training import (
    ConfigError,
    TrainerConfig,
    check_positive,
    config_to_dict,
    describe_config,
    load_config,
    parse_overrides,
    runtime_keys,
    save_config,
)


@dataclass
class OptimConfig:
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.98)
    name: Literal["adam", "adamw"] = "adam"


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int = 512
    """Width of the model."""
    norm_first: bool = False

    def __post_init__(self) -> None:
        check_positive(self, "d_model")


@dataclass
class PaperConfig:
    model: ModelConfig
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_steps=10))
    data_dir: Path | None = None
    tags: list[str] = field(default_factory=list)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_yaml_becomes_nested_typed_dataclasses(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
model: {vocab_size: 100, d_model: 64}
optim: {lr: 3e-4, betas: [0.9, 0.997]}
train: {max_steps: 5, precision: bf16}
data_dir: data/wmt
tags: [a, b]
""",
    )
    cfg = load_config(path, PaperConfig)
    assert cfg.model == ModelConfig(vocab_size=100, d_model=64)
    assert cfg.optim.lr == 3e-4  # YAML 1.1 reads "3e-4" as a string; float fields accept it
    assert cfg.optim.betas == (0.9, 0.997)
    assert cfg.train.max_steps == 5 and cfg.train.precision == "bf16"
    assert cfg.data_dir == Path("data/wmt") and cfg.tags == ["a", "b"]


def test_dotted_overrides_use_yaml_scalar_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "model: {vocab_size: 100}\n")
    cfg = load_config(
        path,
        PaperConfig,
        [
            "optim.lr=3e-4",
            "model.norm_first=true",
            "train.clip_grad_norm=null",
            "train.max_steps=7",
            "optim.betas=[0.8, 0.9]",
            "--train.log_every=3",
        ],
    )
    assert cfg.optim.lr == 3e-4 and cfg.model.norm_first is True
    assert cfg.train.clip_grad_norm is None and cfg.train.max_steps == 7
    assert cfg.optim.betas == (0.8, 0.9) and cfg.train.log_every == 3
    assert parse_overrides(["a.b.c=1", "a.b.d=x"]) == {"a": {"b": {"c": 1, "d": "x"}}}


def test_defaults_without_a_file() -> None:
    cfg = load_config(None, PaperConfig, ["model.vocab_size=8"])
    assert cfg.model.vocab_size == 8 and cfg.optim == OptimConfig()


@pytest.mark.parametrize(
    "text,overrides,message",
    [
        (
            "model: {vocab_size: 1, d_modle: 8}",
            [],
            r"unknown key 'model.d_modle' \(did you mean 'model.d_model'\?\)",
        ),
        (
            "model: {vocab_size: 1}",
            ["optim.lrr=0.1"],
            r"unknown key 'optim.lrr' \(did you mean 'optim.lr'\?\)",
        ),
        ("model: {vocab_size: 1}\nzzz: 1", [], r"^unknown key 'zzz'$"),
        ("model: {vocab_size: ten}", [], r"model.vocab_size: expected int, got 'ten'"),
        ("model: {vocab_size: 1.5}", [], r"model.vocab_size: expected int"),
        ("model: {vocab_size: 1, norm_first: 1}", [], r"model.norm_first: expected bool"),
        (
            "model: {vocab_size: 1}",
            ["optim.name=sgd"],
            r"optim.name: expected one of \['adam', 'adamw'\]",
        ),
        ("model: {vocab_size: 1}", ["optim.betas=[1]"], r"optim.betas: expected 2 items"),
        ("model: 3", [], r"model: expected a mapping"),
        (
            "optim: {lr: 0.1}",
            [],
            r"missing required key 'model.vocab_size'|missing required key 'model'",
        ),
        (
            "model: {vocab_size: 1}",
            ["train.grad_accum_steps=0"],
            r"^train.grad_accum_steps must be a positive integer, got 0$",
        ),
        ("model: {vocab_size: 1}", ["train.precision=fp8"], r"train.precision: expected one of"),
        ("model: {vocab_size: 1}", ["noequals"], r"not of the form dotted.key=value"),
        (
            "model: {vocab_size: 1}",
            ["train.resume=auto"],
            r"^train.resume cannot be set in a config: it comes from the command line",
        ),
        ("model: {vocab_size: 1, d_model: 0}", [], r"^model.d_model must be a positive integer"),
    ],
)
def test_errors_are_one_line_and_name_the_dotted_key(tmp_path, text, overrides, message) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, text), PaperConfig, overrides)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_or_invalid_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", PaperConfig)
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_config(write(tmp_path, "- a\n- b\n"), PaperConfig)
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "a: [1,\n"), PaperConfig)


def test_save_config_round_trips(tmp_path: Path) -> None:
    cfg = load_config(None, PaperConfig, ["model.vocab_size=8", "data_dir=x/y", "optim.lr=0.5"])
    out = save_config(cfg, tmp_path / "run" / "config.yaml")
    assert "vocab_size: 8" in out.read_text()
    assert load_config(out, PaperConfig) == cfg
    assert not list(out.parent.glob(".*tmp*"))


@dataclass
class Section:
    runtime_fields: ClassVar[dict[str, str]] = {"size": "the data"}

    size: int | None = None
    """Filled in by the program."""
    depth: int = 2
    """How deep."""


@dataclass
class Holder:
    runtime_fields: ClassVar[dict[str, str]] = {"train.seed": "the list of seeds"}

    section: Section = field(default_factory=lambda: Section(depth=6))
    """A library's section, with the holder's own defaults."""
    train: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(max_steps=50, eval_every=10, keep_last=1)
    )
    """The loop."""


def test_a_section_the_file_names_keeps_the_holders_defaults_for_the_keys_it_leaves_out(
    tmp_path: Path,
) -> None:
    cfg = load_config(write(tmp_path, "train: {max_steps: 7}\nsection: {}\n"), Holder)
    assert (cfg.train.max_steps, cfg.train.eval_every, cfg.train.keep_last) == (7, 10, 1)
    assert cfg.section.depth == 6  # the holder's default, not Section's own 2
    assert cfg.train.log_every == 100  # TrainerConfig's own default: the holder set none


def test_runtime_fields_are_refused_in_files_left_out_of_saved_configs_and_of_the_help(
    tmp_path: Path,
) -> None:
    assert runtime_keys(Holder) == {
        "section.size": "the data",
        "train.resume": "the command line (e.g. --resume)",
        "train.resume_hint": "the command line that runs the Trainer",
        "train.seed": "the list of seeds",
    }
    with pytest.raises(ConfigError, match=r"^train\.seed cannot be set in a config: it comes from"):
        load_config(None, Holder, ["train.seed=3"])
    with pytest.raises(ConfigError, match=r"^section\.size cannot be set"):
        load_config(write(tmp_path, "section: {size: 3}\n"), Holder)

    cfg = Holder(section=Section(size=40))  # as a program fills it in
    out = save_config(cfg, tmp_path / "run" / "config.yaml")
    text = out.read_text()
    assert "size" not in text and "seed" not in text and "resume" not in text
    reloaded = load_config(out, Holder)  # reads back: the runtime fields take their defaults
    assert reloaded.section.size is None and reloaded.train == cfg.train
    assert config_to_dict(cfg)["section"]["size"] == 40  # the full dump keeps them

    help_text = describe_config(Holder())
    assert "section.depth (int, default 6)\n      How deep." in help_text
    assert "train.max_steps (int | None, default 50)" in help_text
    assert "train.precision ({fp32,bf16,fp16}, default fp32)" in help_text
    assert "section: A library's section, with the holder's own defaults." in help_text
    assert "section.size" not in help_text and "train.seed" not in help_text
