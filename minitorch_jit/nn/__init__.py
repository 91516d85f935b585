"""``nn``: Module, Parameter, the layers and ``functional``."""
from ..tensor import Parameter
from . import functional
from .layers import (GELU, Conv2d, Dropout, Embedding, Flatten, Identity, LayerNorm, Linear, LogSoftmax, MaxPool2d,
                     ModuleList, ReLU, Sequential, Sigmoid, SiLU, Softmax, Tanh)
from .module import Module

__all__ = ["Module", "Parameter", "functional", "GELU", "Conv2d", "Dropout", "Embedding", "Flatten", "Identity",
           "LayerNorm", "Linear", "LogSoftmax", "MaxPool2d", "ModuleList", "ReLU", "Sequential", "Sigmoid", "SiLU",
           "Softmax", "Tanh"]
