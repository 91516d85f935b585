"""The op registry: the one table that says what an op is.

Each overload is an :class:`OpDef`: its schema, the output-type rule (dtype promotion and
shapes, used by shape propagation), its eager kernel (numpy arrays and Python values in and
out), its flags, and the Python names it is reachable under (``torch.add``, ``Tensor.add``,
``nn.functional.relu``). The tensor runtime, the tracer, the scripter, the passes and the
executor all read this table. The table lives here, below every layer that reads it; the
kernels are put in by ``minitorch_jit.ops`` when it is imported.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .schema import FunctionSchema, match_schema, parse_schema, substitute, with_defaults
from .types import Type


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()  # in a type rule's ``consts``: the input is not a known constant

TypeRule = Callable[[Sequence[Type], Sequence[Any]], List[Type]]


@dataclass(frozen=True)
class RowForm:
    """How a reduction (or softmax, layer_norm) reads its arguments, for the reduction fuser
    and the row kernels that compute it one row of its innermost dim at a time: the argument
    holding the dim(s) it reduces (an int, an int list, or layer_norm's ``normalized_shape``),
    the one holding ``keepdim`` (None: the result has the input's shape, as softmax's), whether
    it takes floating-point tensors only, and the arguments a row kernel needs as constants,
    each with the values it computes (None: any constant). ``blocked``: over a dim with
    other dims after it, the blocked kernel (codegen/llvm/block_kernel.py) computes it too
    (every row op but layer_norm, which reduces the innermost dims, and nll_rows)."""
    dim: int
    keepdim: Optional[int]
    floats: bool = False
    constants: Tuple[Tuple[int, Optional[Tuple[Any, ...]]], ...] = ()
    blocked: bool = False


@dataclass(eq=False)
class OpDef:
    schema: FunctionSchema
    kernel: Callable[..., Any]
    type_rule: Optional[TypeRule] = None
    pointwise: bool = False      # elementwise with broadcasting: may be fused
    reduction: bool = False
    row: Optional[RowForm] = None  # a row kernel computes it (codegen/llvm/row_kernel.py)
    side_effects: bool = False   # print, raise, seeding: never removed, moved or folded
    random: bool = False         # draws from the RNG: never folded or merged
    # The argument whose values may make it raise when its result is not floating point (the
    # divisor of an integer division, the exponent of an integer power): unless that argument
    # is a constant it accepts, never deleted unused, never fused where broadcasting could
    # skip its elements.
    value_errors: Optional[str] = None
    total: bool = False          # never raises for inputs of its schema's types (len, dim, building a list)
    # The Python names it is reachable under, each "namespace.name": torch.add, Tensor.add,
    # Tensor.__add__, functional.relu (nn.functional), operator.__add__ (Python operators on
    # numbers), math.exp, builtins.len, and methods of Python lists and strings (list.append,
    # str.format). A Tensor.__r*__ name on an op marks it as reflected: its schema takes
    # (other, self).
    names: Tuple[str, ...] = ()
    doc: str = ""
    # A bool keyword of the Python call that is not in the schema but picks the overload, as
    # PyTorch's Python binding does (``torch.nonzero(x, as_tuple=True)`` is
    # ``aten::nonzero_numpy``): (keyword, the value that picks this overload); omitted is False.
    selector: Optional[Tuple[str, bool]] = None
    # A ``Tensor[]`` result is a tuple in Python, as ``torch.where(cond)`` returns (scripted
    # code sees the list the schema says, as in TorchScript).
    tuple_result: bool = False
    # Runs at most once per call of the compiled function for each node that calls it (a
    # warning inside a loop is shown once, as TorchScript shows it); it has no outputs.
    once_per_call: bool = False
    # Other names of keyword arguments, (the name a caller may use, the schema's name):
    # torch.dropout's flag is ``train`` where F.dropout's is ``training``.
    keyword_aliases: Tuple[Tuple[str, str], ...] = ()
    # The gradient formula (the role of PyTorch's derivatives.yaml), put beside the op by
    # ``ops.declare.derivative``: ``formula(ctx, grad)`` returns one gradient (or None) per
    # argument, ``ctx[i]`` being argument i and ``ctx.out`` the result; ``grad`` is a list for
    # ops with several results. ``differentiable=False``: results never require grad (detach,
    # comparisons, random draws, factories).
    derivative: Optional[Callable[..., Any]] = None
    differentiable: bool = True
    backward_name: Optional[str] = None  # the node's name when not <Op>Backward0
    # An in-place op whose formula reads the input it overwrites (``x.mul_(y)``'s gradient to
    # y is ``g * x``, x as it was): recording it saves a copy of that input before the write,
    # as PyTorch saves ``original_self``. Without it, a formula reading the input raises
    # PyTorch's "modified by an inplace operation" error instead of computing from new values.
    saves_self: bool = False
    # What runs instead when the call will be recorded for autograd (bound arguments in,
    # result out), for an op whose gradient needs what its kernel does not return: dropout
    # runs native_dropout, which also returns its mask.
    when_recorded: Optional[Callable[[List[Any]], Any]] = None
    # The bool argument without which the op writes nothing (batch_norm's running statistics
    # are written only when ``training``): version counters are bumped only for real writes.
    writes_if: Optional[str] = None

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def qualified_name(self) -> str:
        return self.schema.qualified_name

    @cached_property
    def inplace(self) -> bool:
        """Writes into an argument (``Tensor(a!)`` in the schema)."""
        return any(a.mutates for a in self.schema.arguments)

    @cached_property
    def view(self) -> bool:
        """Its output shares memory with an input (``-> Tensor(a)``)."""
        return any(r.alias is not None and not r.mutates for r in self.schema.returns)

    @cached_property
    def written(self) -> Tuple[int, ...]:
        """Indices of the arguments it writes into."""
        return tuple(i for i, a in enumerate(self.schema.arguments) if a.mutates)

    @cached_property
    def writes_if_arg(self) -> Optional[int]:
        return next((i for i, a in enumerate(self.schema.arguments) if a.name == self.writes_if), None)

    @cached_property
    def view_arg(self) -> Optional[int]:
        """The argument its result is a view of (None when it makes no view)."""
        if not self.view:
            return None
        alias = next(r.alias for r in self.schema.returns if r.alias is not None and not r.mutates)
        return next((i for i, a in enumerate(self.schema.arguments) if a.alias == alias), None)

    @cached_property
    def requires_grad_arg(self) -> Optional[int]:
        """The index of a factory's ``requires_grad`` argument."""
        return next((i for i, a in enumerate(self.schema.arguments) if a.name == "requires_grad"), None)

    @cached_property
    def node_name(self) -> str:
        """Its backward node's name, as PyTorch names them: ``MulBackward0``."""
        if self.backward_name:
            return self.backward_name
        base = self.name.split("::")[1].rstrip("_")
        return "".join(w[:1].upper() + w[1:] for w in base.split("_")) + "Backward0"

    @property
    def pure(self) -> bool:
        """Same inputs, same outputs, nothing else touched: may be folded, merged, removed."""
        return not (self.side_effects or self.random or self.inplace)

    def select_kwargs(self, kwargs: Dict[str, Any], value_of: Callable[[Any], Any] = lambda v: v
                      ) -> Optional[Dict[str, Any]]:
        """The keyword arguments less this overload's selector, or None when the selector's
        value (``value_of`` an argument) picks another overload."""
        if self.keyword_aliases:
            aliases = dict(self.keyword_aliases)
            kwargs = {aliases.get(k, k): v for k, v in kwargs.items()}
        if self.selector is None:
            return kwargs
        name, picks = self.selector
        given = value_of(kwargs[name]) if name in kwargs else False
        if given is not picks:
            return None
        return {k: v for k, v in kwargs.items() if k != name}

    def output_types(self, types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        """Output types for inputs of ``types``; ``consts[i]`` is input i's value when it is a
        known constant, else ``UNKNOWN``."""
        if self.type_rule is not None:
            return self.type_rule(*with_defaults(self.schema, types, consts))
        bindings = match_schema(self.schema, types) or {}
        return [substitute(r.type, bindings) for r in self.schema.returns]

    def __repr__(self) -> str:
        return f"<op {self.schema.text}>"


_OPS: Dict[str, List[OpDef]] = {}
_BY_QUALIFIED: Dict[str, OpDef] = {}
_PYTHON: Dict[Tuple[str, str], List[OpDef]] = {}
_NODE_CACHE: Dict[Tuple[str, Tuple[Type, ...]], Optional[OpDef]] = {}

NAMESPACES = ("torch", "Tensor", "functional", "operator", "math", "builtins", "list", "str", "dict", "jit")


def register(schema: str, kernel: Callable[..., Any], **fields: Any) -> OpDef:
    """Declare one overload. ``fields`` are :class:`OpDef`'s other fields."""
    op = OpDef(parse_schema(schema), kernel, **fields)
    if op.qualified_name in _BY_QUALIFIED:
        raise ValueError(f"op {op.qualified_name} is registered twice")
    _OPS.setdefault(op.name, []).append(op)
    _BY_QUALIFIED[op.qualified_name] = op
    for full in op.names:
        ns, _, n = full.partition(".")
        if ns not in NAMESPACES:
            raise ValueError(f"{op.qualified_name}: unknown namespace in Python name {full!r}")
        _PYTHON.setdefault((ns, n), []).append(op)
    _NODE_CACHE.clear()
    return op


def overloads(name: str) -> List[OpDef]:
    """All overloads of ``aten::add`` (empty when unknown)."""
    return _OPS.get(name, [])


def get(qualified_name: str) -> OpDef:
    """One overload by its qualified name, ``aten::add.Tensor``."""
    return _BY_QUALIFIED[qualified_name]


def has_ops() -> bool:
    """Has anything been registered? (``minitorch_jit.ops`` fills the table on import.)"""
    return bool(_OPS)


def is_registered(name: str) -> bool:
    return name in _OPS


# torch.ops.aten.<name>, torch.ops.prim.<name>: every overload of the op of that name
OP_NAMESPACES = ("aten", "prim")


def python_overloads(namespace: str, name: str) -> List[OpDef]:
    """The overloads reachable as ``<namespace>.<name>``, in declaration order (for an op
    namespace, ``aten``, those of the op ``aten::<name>``, or the one overload ``add.Tensor``,
    ``relu.default``)."""
    if namespace in OP_NAMESPACES:
        base, _, overload = name.partition(".")
        ops = overloads(f"{namespace}::{base}")
        if overload:
            return [o for o in ops if (o.schema.overload or "default") == overload]
        return ops
    return _PYTHON.get((namespace, name), [])


def python_names(namespace: str) -> List[str]:
    return sorted({n for (ns, n) in _PYTHON if ns == namespace})


def all_ops() -> Iterator[OpDef]:
    for ops in _OPS.values():
        yield from ops


def resolve(name: str, types: Sequence[Type]) -> Optional[OpDef]:
    """The overload of ``name`` a node with inputs of ``types`` calls: as in TorchScript, the
    first whose schema takes the types exactly, else the first that takes them with implicit
    conversions (an int for a float or a Scalar). ``int ** int`` is ``aten::pow.int_to_int``
    even though ``aten::pow.num(Scalar, Scalar)`` was declared first."""
    key = (name, tuple(types))
    if key not in _NODE_CACHE:
        ops = _OPS.get(name, ())
        _NODE_CACHE[key] = next((op for exact in (True, False) for op in ops
                                 if match_schema(op.schema, types, exact) is not None), None)
    return _NODE_CACHE[key]


def node_op(node: Any) -> Optional[OpDef]:
    """The overload a node calls, resolved from its input types (None for structural nodes
    such as prim::If and for unknown ops)."""
    return resolve(node.kind, [v.type for v in node.inputs])


def node_consts(node: Any) -> List[Any]:
    """The node's inputs that are constants, as values; ``UNKNOWN`` for the others."""
    return [v.constant if v.node.kind == "prim::Constant" else UNKNOWN for v in node.inputs]


def node_arg(node: Any, i: int) -> Any:
    """Argument ``i`` of a node as a value when it is a constant or left out (its schema's
    default); ``UNKNOWN`` otherwise."""
    if i < len(node.inputs):
        v = node.inputs[i]
        return v.constant if v.node.kind == "prim::Constant" else UNKNOWN
    op = node_op(node)
    return op.schema.arguments[i].default if op is not None else UNKNOWN
