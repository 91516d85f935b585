"""The bench's workloads: the seed programs of :mod:`.programs` at the sizes issue 6 names,
with their inputs (float32, from a fixed seed).

The functions are written once, in :mod:`.programs` (which ``examples/`` and the tests import),
against the names ``torch``, ``nn`` and ``F``; every system runs that same Python (see
:mod:`.rebind`). They ship with the package, so the bench runs from any install.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import minitorch_jit as torch

from .programs import lenet, lstm_cell, mlp, neural_style, normalization, pointwise, ratio_iou, resnet, uniformity_loss


class BenchError(Exception):
    """The bench cannot run as asked (bad option); the message says why."""


class NotApplicable(Exception):
    """A system cannot express a workload; the message says why."""




def triad(b, c):
    """The memory bandwidth probe (STREAM's triad): two loads and a store per element."""
    return b + 3.0 * c


@dataclass
class Workload:
    """One program at one size. ``fn`` is the example's function, or for a model (``model``
    true) the example's function that builds the ``nn.Module``; ``make_inputs`` returns the
    arguments as float32 arrays (views allowed: they are passed as they are)."""
    name: str
    family: str
    fn: Callable[..., Any]
    make_inputs: Callable[[], Tuple[np.ndarray, ...]]
    model: bool = False
    pointwise: bool = False
    quick: bool = False
    # A training step: forward, loss, backward and an optimizer step, timed in eager mode.
    # ``trainable`` are the arguments of a function workload that are trained (a model's
    # parameters are); the step returns the loss and the gradients, which are checked.
    train: bool = False
    trainable: Tuple[int, ...] = ()
    # Forward and backward: the arguments in ``trainable`` require grad, and the call returns
    # the outputs and their gradients (for a gradient of ones on every output).
    backward: bool = False
    _cache: Dict[str, Any] = field(default_factory=dict, repr=False)

    def inputs(self) -> Tuple[np.ndarray, ...]:
        if "inputs" not in self._cache:
            torch.manual_seed(0)
            self._cache["inputs"] = self.make_inputs()
        return self._cache["inputs"]

    def target(self) -> Callable[..., Any]:
        """What minitorch_jit runs: the function, or the model it builds (in eval mode, from
        seed 0, made once so that every system computes with the same weights)."""
        if not self.model:
            return self.fn
        if "model" not in self._cache:
            torch.manual_seed(0)
            self._cache["model"] = self.fn().eval()
        return self._cache["model"]

    def parameters(self) -> Dict[str, np.ndarray]:
        """The model's state as arrays (nothing for a function)."""
        if not self.model:
            return {}
        return {k: v.numpy() for k, v in self.target().state_dict().items()}

    def drop_inputs(self) -> None:
        """Free the arrays (the big workloads hold hundreds of MB)."""
        self._cache.pop("inputs", None)


def _arrays(*tensors: Any) -> Tuple[np.ndarray, ...]:
    return tuple(t.numpy() for t in tensors)


def _boxes(*shape: int) -> Tuple[np.ndarray, ...]:
    return _arrays(*torch.randn(8, *shape).exp())  # as the seeds make them: positive, spread out


def _around_one(n: int) -> Tuple[np.ndarray, ...]:
    # in [0.5, 1.5): x ** 32 stays a normal float (denormals would time the FPU's slow path)
    return _arrays(torch.rand(n) + 0.5)


def _normal(*shapes: Tuple[int, ...]) -> Tuple[np.ndarray, ...]:
    return _arrays(*[torch.randn(*s) for s in shapes])


def _gates(batch: int, hidden: int) -> Tuple[np.ndarray, ...]:
    """The four chunks of the gates (strided views, as ``chunk`` makes them) and the cell."""
    return _arrays(*torch.randn(batch, 4 * hidden).chunk(4, 1), torch.randn(batch, hidden))


def _unit_rows(n: int, d: int) -> Tuple[np.ndarray, ...]:
    x = torch.randn(n, d)
    return _arrays(x / x.norm(p=2, dim=1, keepdim=True))


def _uniform(n: int) -> Tuple[np.ndarray, ...]:
    return _arrays(torch.rand(n), torch.rand(n))


def _logits(n: int, classes: int) -> Tuple[np.ndarray, ...]:
    return (torch.randn(n, classes).numpy(), torch.randint(0, classes, (n,)).numpy())


def _shape_name(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _count(n: int) -> str:
    return f"{n >> 20}M" if n % (1 << 20) == 0 else str(n)


def all_workloads(small: bool = False) -> List[Workload]:
    """Every workload, at issue 6's sizes, or tiny ones for smoke tests (``small``)."""
    def size(full: Any, tiny: Any) -> Any:
        return tiny if small else full

    lstm, norms = lstm_cell, normalization
    out: List[Workload] = []
    for full, tiny, quick in (((10,), (10,), False), ((100, 1000), (10, 10), False),
                              ((1000, 1000), (20, 10), True), ((4000, 1000), (40, 10), False)):
        shape = size(full, tiny)
        out.append(Workload(f"ratio_iou {_shape_name(shape)}", "ratio_iou", ratio_iou.ratio_iou,
                            partial(_boxes, *shape), pointwise=True, quick=quick))
    for full, tiny, quick in ((1 << 20, 1000, True), (1 << 22, 4000, False)):
        n = size(full, tiny)
        out.append(Workload(f"x = x * x five times ({_count(n)})", "square5", pointwise.square5,
                            partial(_around_one, n), pointwise=True, quick=quick))
    n = size(1 << 22, 1000)
    out.append(Workload(f"GELU, tanh form ({_count(n)})", "gelu", pointwise.gelu, partial(_normal, (n,)),
                        pointwise=True, quick=True))
    b, i, h = size((64, 512, 512), (4, 8, 8))
    out.append(Workload(f"LSTM cell ({b}, {i}, {h})", "lstm_cell", lstm.lstm_cell,
                        lambda: _arrays(*lstm.lstm_inputs(b, i, h))))
    out.append(Workload(f"LSTM cell pointwise part ({b}, {h})", "lstm_pointwise", lstm.lstm_pointwise,
                        partial(_gates, b, h), pointwise=True, quick=True))
    batch = size(64, 4)
    out.append(Workload(f"MLP 8-64-1 forward ({batch}, 8)", "mlp", mlp.mlp,
                        partial(_normal, (batch, 8)), model=True))
    batch = size(64, 2)
    out.append(Workload(f"LeNet forward ({batch}, 1, 28, 28)", "lenet", lenet.lenet,
                        partial(_normal, (batch, 1, 28, 28)), model=True))
    batch, side = size((8, 64), (1, 32))
    out.append(Workload(f"resnet18-shaped forward ({batch}, 3, {side}, {side})", "resnet18", resnet.resnet18,
                        partial(_normal, (batch, 3, side, side)), model=True))
    batch, side = size((1, 64), (1, 8))
    out.append(Workload(f"fast-neural-style residual block (1, 128, {side}, {side})", "neural_style",
                        neural_style.residual_block, partial(_normal, (batch, 128, side, side)), model=True))
    n, d = size((1024, 128), (16, 4))
    out.append(Workload(f"uniformity loss lunif2 ({n}, {d})", "lunif2", uniformity_loss.lunif2,
                        partial(_unit_rows, n, d)))
    for full, tiny, quick in (((1024, 1024), (16, 16), True), ((8192, 1024), (32, 16), False)):
        n, d = size(full, tiny)
        out.append(Workload(f"softmax ({n}, {d})", "softmax", norms.softmax, partial(_normal, (n, d)), quick=quick))
        out.append(Workload(f"layer norm ({n}, {d})", "layer_norm", norms.layer_norm,
                            partial(_normal, (n, d), (d,), (d,))))
    n, c = size((8192, 1000), (32, 10))
    out.append(Workload(f"log_softmax + nll_loss ({n}, {c})", "cross_entropy", norms.cross_entropy,
                        partial(_logits, n, c)))
    batch = size(64, 4)
    out.append(Workload(f"MLP 8-64-1 train step ({batch}, 8)", "train_step", mlp.mlp,
                        partial(_normal, (batch, 8), (batch, 1)), model=True, train=True))
    b, i, h = size((64, 512, 512), (4, 8, 8))
    out.append(Workload(f"LSTM cell train step ({b}, {i}, {h})", "train_step", lstm.lstm_cell,
                        lambda: _arrays(*lstm.lstm_inputs(b, i, h)), train=True, trainable=(3, 4, 5, 6)))
    out += _backward_workloads(size)
    n = size(1 << 23, 1000)
    out.append(Workload(f"triad b + 3c ({_count(n)})", "triad", triad, partial(_uniform, n),
                        pointwise=True, quick=True))
    return out


def _backward_workloads(size: Callable[[Any, Any], Any]) -> List[Workload]:
    """Issue 14's forward + backward workloads (family ``backward``)."""
    shape = size((1000, 1000), (20, 10))
    n = size(1 << 22, 1000)
    b, i, h = size((64, 512, 512), (4, 8, 8))
    batch = size(64, 4)
    return [
        Workload(f"ratio_iou {_shape_name(shape)} forward+backward", "backward", ratio_iou.ratio_iou,
                 partial(_boxes, *shape), backward=True, trainable=tuple(range(8))),
        Workload(f"GELU, tanh form ({_count(n)}) forward+backward", "backward", pointwise.gelu,
                 partial(_normal, (n,)), backward=True, trainable=(0,)),
        Workload(f"LSTM cell ({b}, {i}, {h}) forward+backward", "backward", lstm_cell.lstm_cell,
                 lambda: _arrays(*lstm_cell.lstm_inputs(b, i, h)), backward=True, trainable=tuple(range(7))),
        Workload(f"LSTM cell pointwise part ({b}, {h}) forward+backward", "backward", lstm_cell.lstm_pointwise,
                 partial(_gates, b, h), backward=True, trainable=tuple(range(5))),
        Workload(f"MLP 8-64-1 train step ({batch}, 8), compiled", "backward", mlp.mlp,
                 partial(_normal, (batch, 8), (batch, 1)), model=True, train=True),
    ]


def select(workloads: List[Workload], names: Optional[Sequence[str]], quick: bool) -> List[Workload]:
    """The workloads of the families named (every size of each), else the quick subset or
    all. The triad always runs: the bandwidth it measures is what other times are held to."""
    families = list(dict.fromkeys(w.family for w in workloads))
    if names:
        unknown = [n for n in names if n not in families]
        if unknown:
            raise BenchError(f"no workload named {', '.join(unknown)}; the workloads are: {', '.join(families)}")
        return [w for w in workloads if w.family in names or w.family == "triad"]
    return [w for w in workloads if w.quick] if quick else list(workloads)


def traffic_bytes(workload: Workload, outputs: Sequence[np.ndarray]) -> int:
    """The bytes a perfect kernel moves: every input, parameter and output once."""
    arrays = list(workload.inputs()) + list(workload.parameters().values()) + list(outputs)
    return int(sum(a.nbytes for a in arrays))

