"""ResNet (He et al., 2016) with torchvision's layout: ImageNet stem or a CIFAR stem.

Module and parameter names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``,
``downsample.0``, ``fc``), so parameter counts are the standard ones and torchvision weights load
into the ImageNet variant by name. Bottleneck blocks stride in the 3x3 convolution ("v1.5").
"""

# No `from __future__ import annotations`: the Hub mixin reads the type of `config`.

from dataclasses import dataclass

from torch import Tensor, nn

from rd_models.hub import HubMixin


@dataclass
class ResNetConfig:
    """Shape of a :class:`ResNet`."""

    depth: int = 50
    """18, 34 (basic blocks), 50, 101 or 152 (bottleneck blocks)."""
    num_classes: int = 1000
    """Outputs of the final linear layer."""
    in_channels: int = 3
    """Channels of the input images."""
    cifar_stem: bool = False
    """3x3 stride-1 stem convolution and no max-pool, for 32x32 inputs (CIFAR)."""
    zero_init_residual: bool = False
    """Zero the last BatchNorm of each block so every block starts as the identity."""

    def __post_init__(self) -> None:
        if self.depth not in _LAYERS:
            raise ValueError(
                f"ResNetConfig.depth must be one of {sorted(_LAYERS)}, got {self.depth}"
            )
        for name in ("num_classes", "in_channels"):
            if getattr(self, name) <= 0:
                raise ValueError(f"ResNetConfig.{name} must be positive, got {getattr(self, name)}")


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) with a residual connection (ResNet-50/101/152)."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def _shortcut(in_planes: int, out_planes: int, stride: int) -> nn.Sequential | None:
    """Projection shortcut (1x1 conv + BN) where the shape changes, else the identity (None)."""
    if stride == 1 and in_planes == out_planes:
        return None
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, 1, stride, bias=False), nn.BatchNorm2d(out_planes)
    )


_LAYERS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


class ResNet(nn.Module, HubMixin, library_name="rd-models", tags=["image-classification"]):
    """Residual network for image classification: ``[B, C, H, W]`` images to ``[B, classes]``.

    Args:
        config: Depth, classes and stem; see :class:`ResNetConfig`.
    """

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        self.config = config
        block, counts = _LAYERS[config.depth]
        if config.cifar_stem:
            self.conv1 = nn.Conv2d(config.in_channels, 64, 3, 1, 1, bias=False)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(config.in_channels, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        in_planes = 64
        stages = []
        for i, (planes, count) in enumerate(zip((64, 128, 256, 512), counts, strict=True)):
            blocks = []
            for j in range(count):
                blocks.append(block(in_planes, planes, 2 if i > 0 and j == 0 else 1))
                in_planes = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_planes, config.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if config.zero_init_residual:
            for m in self.modules():
                last = getattr(m, "bn3", None) or getattr(m, "bn2", None)
                if isinstance(m, (BasicBlock, Bottleneck)) and last is not None:
                    nn.init.zeros_(last.weight)

    def forward(self, x: Tensor) -> Tensor:
        """Classify ``[B, in_channels, H, W]`` images; returns logits ``[B, num_classes]``.

        Raises:
            ValueError: If ``x`` is not 4-D with ``in_channels`` channels.
        """
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"x must be [batch, {self.config.in_channels}, height, width], got {tuple(x.shape)}"
            )
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes: int = 1000, *, cifar: bool = False, in_channels: int = 3) -> ResNet:
    """ResNet-18; ``cifar=True`` gives the 3x3 stem without max-pool for 32x32 images."""
    return ResNet(ResNetConfig(18, num_classes, in_channels=in_channels, cifar_stem=cifar))


def resnet34(num_classes: int = 1000, *, cifar: bool = False, in_channels: int = 3) -> ResNet:
    """ResNet-34; ``cifar=True`` gives the 3x3 stem without max-pool for 32x32 images."""
    return ResNet(ResNetConfig(34, num_classes, in_channels=in_channels, cifar_stem=cifar))


def resnet50(num_classes: int = 1000, *, cifar: bool = False, in_channels: int = 3) -> ResNet:
    """ResNet-50; ``cifar=True`` gives the 3x3 stem without max-pool for 32x32 images."""
    return ResNet(ResNetConfig(50, num_classes, in_channels=in_channels, cifar_stem=cifar))


def resnet101(num_classes: int = 1000, *, cifar: bool = False, in_channels: int = 3) -> ResNet:
    """ResNet-101; ``cifar=True`` gives the 3x3 stem without max-pool for 32x32 images."""
    return ResNet(ResNetConfig(101, num_classes, in_channels=in_channels, cifar_stem=cifar))


def resnet152(num_classes: int = 1000, *, cifar: bool = False, in_channels: int = 3) -> ResNet:
    """ResNet-152; ``cifar=True`` gives the 3x3 stem without max-pool for 32x32 images."""
    return ResNet(ResNetConfig(152, num_classes, in_channels=in_channels, cifar_stem=cifar))
