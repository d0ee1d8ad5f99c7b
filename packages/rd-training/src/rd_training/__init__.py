"""Training loop, optimizers, LR schedules, losses, atomic checkpoints, run manifests and seeding.

Quick start::

    from rd_training import Trainer, TrainerConfig, build_optimizer, NoamLR

    optimizer = build_optimizer(model, "adam", lr=1.0)
    trainer = Trainer(model, TrainerConfig(max_steps=1000), train_data=loader, loss_fn=loss_fn,
                      optimizer=optimizer, scheduler=NoamLR(optimizer, d_model=512),
                      out_dir="assets/outputs/transformer/run1")
    summary = trainer.fit()
"""

from importlib.metadata import version as _version

import lazy_loader as _lazy

# Each name is imported on first use (`__init__.pyi` lists them, for type checkers too), so a
# config dataclass loads without torch: `train --help` answers in a fraction of a second.
__getattr__, __dir__, _public = _lazy.attach_stub(__name__, __file__)

__version__: str = _version("rd-training")

__all__ = [*_public, "__version__"]
