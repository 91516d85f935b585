"""``nn``: Module, Parameter, the layers and ``functional``."""
from ..tensor import Parameter
from . import functional
from .activations import ELU, SELU, Hardswish, LeakyReLU, Mish, PReLU, Softplus
from .layers import (GELU, Conv2d, Dropout, Dropout2d, Embedding, Flatten, Identity, LayerNorm, Linear, LogSoftmax,
                     MaxPool2d, ModuleList, ReLU, Sequential, Sigmoid, SiLU, Softmax, Tanh)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d

__all__ = ["Module", "Parameter", "functional", "GELU", "Conv2d", "Dropout", "Dropout2d", "Embedding", "Flatten",
           "Identity", "LayerNorm", "Linear", "LogSoftmax", "MaxPool2d", "ModuleList", "ReLU", "Sequential", "Sigmoid",
           "SiLU", "Softmax", "Tanh", "ELU", "SELU", "Hardswish", "LeakyReLU", "Mish", "PReLU", "Softplus",
           "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm2d", "AdaptiveAvgPool2d", "AvgPool2d"]
