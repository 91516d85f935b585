"""The graph IR: types, Value/Node/Block/Graph, the op registry, printer, parser, verifier.

Plain data and text: nothing in here runs a kernel or generates code.
"""
from .graph import (
                    CALLS,
                    PYTHON_OBJECT,
                    SUBGRAPH,
                    Block,
                    Graph,
                    Node,
                    SourceLocation,
                    Use,
                    Value,
                    clone_block_into,
                    inline_block,
                    is_call,
)
from .lexer import IRParseError
from .parser import parse_graph, parse_type_str
from .printer import print_graph
from .types import (
                    ANY,
                    BOOL,
                    DEVICE,
                    FLOAT,
                    INT,
                    NONE,
                    NUMBER,
                    SCALARTYPE,
                    STR,
                    TENSOR,
                    AnyType,
                    BoolType,
                    DictType,
                    FloatType,
                    IntType,
                    ListType,
                    NoneType,
                    NumberType,
                    OptionalType,
                    StrType,
                    TensorType,
                    TupleType,
                    Type,
                    unify,
)
from .verifier import VerifyError, verify

__all__ = [name for name in dir() if not name.startswith("_")]
