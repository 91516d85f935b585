"""A custom ``torch.autograd.Function`` applied while a trace records: one ``prim::PythonOp``
node (printed ``prim::PythonOp[name="Foo", inplace=0]``, TorchScript's ``^Foo()``), not the ops
of its forward. At each call of the trace it applies the Function again, so its own
``backward`` is what gradients go through, as in eager code.

A Function that writes its input (``ctx.mark_dirty``) is flagged ``inplace``; in a trace
recorded with ``_force_outplace=True`` (which treats every tensor as unchanged) running it is
an error, as in PyTorch. Like every call back into Python, such a trace cannot be saved.
"""
from __future__ import annotations

from typing import Any, Callable, Tuple

from minitorch_jit.ir import PYTHON_OBJECT, TensorType

from ..autograd import function
from ..ops import dispatch
from ..ops.dispatch import unwrap
from ..runtime.executor import wrap
from ..tensor import Tensor
from .recorder import _runtime_type, user_location


class FunctionCall:
    """What the node calls: the Function on the node's inputs (arrays, or Tensors when the
    trace runs on autograd's tape), its outputs as the graph holds them."""

    def __init__(self, cls: type, refused: bool):
        self.cls, self.refused = cls, refused

    def __call__(self, *args: Any) -> Any:
        if self.refused:
            raise RuntimeError(f"inplace {self.cls.__name__} cannot run in a trace recorded with "
                               "_force_outplace=True: it writes its input, which such a trace treats as unchanged")
        on_tape = any(isinstance(a, Tensor) for a in args)
        out = self.cls.apply(*[wrap(a, {}) for a in args])  # type: ignore[attr-defined]
        return out if on_tape else unwrap(out)


def record_application(cls: type, args: Tuple[Any, ...], run: Callable[..., Any]) -> Any:
    tracer = dispatch.state.tracer
    if tracer is None:
        return run(args)[0]
    dispatch.state.tracer = None  # the forward's own ops are not the trace's
    try:
        out, ctx = run(args)
    finally:
        dispatch.state.tracer = tracer
    inputs = [tracer.value_for(a, TensorType() if isinstance(a, Tensor) else tracer_type(a)) for a in args]
    outputs = list(out) if isinstance(out, tuple) else [out]
    inplace = bool(ctx.dirty)
    node = tracer.graph.insert("prim::PythonOp", inputs, [_runtime_type(o, TensorType()) for o in outputs],
                               attrs={"name": cls.__name__, "inplace": inplace,
                                      PYTHON_OBJECT: FunctionCall(cls, inplace and tracer.force_outplace)},
                               source=user_location())
    bound = [tracer.bind_result(o, v) for o, v in zip(outputs, node.outputs)]
    return tuple(bound) if isinstance(out, tuple) else bound[0]


def tracer_type(value: Any) -> Any:
    from minitorch_jit.ir.types import type_of_constant
    return type_of_constant(value)


function.trace_hook = record_application
