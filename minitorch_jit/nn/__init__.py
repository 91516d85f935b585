"""``nn``: Module, Parameter, the layers and ``functional``."""
from ..tensor import Parameter
from . import functional
from .activations import ELU, SELU, Hardswish, LeakyReLU, Mish, PReLU, Softplus
from .attention import MultiheadAttention, TransformerEncoderLayer
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .convolution import Conv1d, Conv2d, Conv3d, ConvTranspose2d
from .hooks import RemovableHandle
from .layers import (
                     GELU,
                     Dropout,
                     Dropout2d,
                     Embedding,
                     Flatten,
                     Identity,
                     LayerNorm,
                     Linear,
                     LogSoftmax,
                     MaxPool2d,
                     ReLU,
                     Sigmoid,
                     SiLU,
                     Softmax,
                     Tanh,
                     Unflatten,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d
from .parameter import Buffer
from .pooling import AdaptiveAvgPool2d, AvgPool2d
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .resampling import CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, Upsample, ZeroPad2d

__all__ = ["Module", "Parameter", "Buffer", "ModuleDict", "ParameterList", "ParameterDict", "RemovableHandle",
           "functional", "GELU", "Conv2d", "Dropout", "Dropout2d", "Embedding", "Flatten",
           "Identity", "LayerNorm", "Linear", "LogSoftmax", "MaxPool2d", "ModuleList", "ReLU", "Sequential", "Sigmoid",
           "SiLU", "Softmax", "Tanh", "Unflatten", "ELU", "SELU", "Hardswish", "LeakyReLU", "Mish", "PReLU",
           "Softplus", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm2d", "AdaptiveAvgPool2d", "AvgPool2d",
           "Conv1d", "Conv3d", "ConvTranspose2d", "CircularPad2d", "ConstantPad2d", "ReflectionPad2d",
           "ReplicationPad2d", "Upsample", "ZeroPad2d", "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell",
           "MultiheadAttention", "TransformerEncoderLayer"]
