"""The CIFAR-10 residual networks of He et al. (2015), section 4.2: 6n+2 layers, 16/32/64 filters.

A 3x3 convolution of 16 filters, then three stages of n basic blocks on 32x32, 16x16 and 8x8
maps with 16, 32 and 64 filters (each stage but the first halves the map in its first block),
global average pooling and a linear layer: n = 3, 5, 7, 9, 18 gives ResNet-20/32/44/56/110.
Where a block changes the shape, the shortcut is the paper's option A: the identity on every
second pixel, with zero channels appended (no parameters), so the counts are Table 6's.
"""

# No `from __future__ import annotations`: the Hub mixin reads the type of `config`.

from dataclasses import dataclass
from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor, nn

from rd_models.hub import HubMixin

PAPER_DEPTHS = (20, 32, 44, 56, 110)
"""The depths of the paper's Table 6."""


@dataclass
class CifarResNetConfig:
    """Shape of a :class:`CifarResNet`. Invalid values raise ``ValueError`` naming the field."""

    runtime_fields: ClassVar[dict[str, str]] = {
        "num_classes": "the dataset's labels",
        "in_channels": "the dataset's images",
    }
    """Fields a training program fills in from its data (``dataclasses.replace``)."""

    depth: int = 20
    """6n + 2 layers with weights: 20, 32, 44, 56 and 110 are the paper's."""
    num_classes: int = 10
    """Outputs of the final linear layer."""
    in_channels: int = 3
    """Channels of the input images (3 for CIFAR-10, 1 for greyscale digits)."""
    base_width: int = 16
    """Filters of the first stage; the next two stages have twice and four times as many."""

    def __post_init__(self) -> None:
        if not isinstance(self.depth, int) or self.depth < 8 or (self.depth - 2) % 6:
            raise ValueError(
                f"CifarResNetConfig.depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110), "
                f"got {self.depth!r}"
            )
        for name in ("num_classes", "in_channels", "base_width"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"CifarResNetConfig.{name} must be a positive int, got {value!r}")
        if self.base_width % 4:  # option A pads a quarter of the wider stage on each side
            raise ValueError(
                f"CifarResNetConfig.base_width must be a multiple of 4, got {self.base_width}"
            )

    @property
    def blocks_per_stage(self) -> int:
        """n: the basic blocks in each of the three stages."""
        return (self.depth - 2) // 6


class _OptionAShortcut(nn.Module):
    """The identity on every second pixel with zero channels appended on both sides."""

    def __init__(self, extra_channels: int) -> None:
        super().__init__()
        self.pad = extra_channels // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class CifarBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a residual connection (the paper's Fig. 2)."""

    def __init__(self, in_planes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        changes = stride != 1 or in_planes != planes
        self.shortcut: nn.Module = (
            _OptionAShortcut(planes - in_planes) if changes else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(
    nn.Module,
    HubMixin,
    library_name="rd-models",
    tags=["image-classification", "resnet"],
    paper_url="https://arxiv.org/abs/1512.03385",
):
    """ResNet-(6n+2) for small images: ``[B, C, H, W]`` to logits ``[B, num_classes]``.

    Args:
        config: Depth, classes, input channels and width; see :class:`CifarResNetConfig`.

    Example:
        >>> model = CifarResNet(CifarResNetConfig(depth=20))
        >>> sum(p.numel() for p in model.parameters())
        269722
    """

    def __init__(self, config: CifarResNetConfig) -> None:
        super().__init__()
        self.config = config
        width, n = config.base_width, config.blocks_per_stage
        self.conv1 = nn.Conv2d(config.in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        stages, in_planes = [], width
        for i, planes in enumerate((width, 2 * width, 4 * width)):
            blocks = [CifarBlock(in_planes if j == 0 else planes, planes, 2 if i and not j else 1)
                      for j in range(n)]  # fmt: skip
            stages.append(nn.Sequential(*blocks))
            in_planes = planes
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(in_planes, config.num_classes)
        for m in self.modules():  # He et al. (2015b) initialisation, as the paper
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Classify ``[B, in_channels, H, W]`` images; returns logits ``[B, num_classes]``.

        Raises:
            ValueError: If ``x`` is not 4-D with ``in_channels`` channels.
        """
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"x must be [batch, {self.config.in_channels}, height, width], got {tuple(x.shape)}"
            )
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))
