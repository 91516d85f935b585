"""Attention: ``MultiheadAttention`` and ``TransformerEncoderLayer``, with PyTorch's formulas,
parameter names, masks and initialisation.

The computation is :func:`multi_head_attention_forward`, written with registry ops in the
script language, so the modules run eagerly, trace and script alike: project the query, key
and value (one packed ``in_proj_weight`` when they share the embedding size), split the heads,
``softmax(q k^T / sqrt(head_dim) + mask) v``, merge the heads and project out. Boolean masks
mark the positions that may not be attended to (True: masked); float masks are added to the
scores. Inputs are (L, N, E), or (N, L, E) with ``batch_first=True``, or unbatched (L, E).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np

from .. import ops as _ops
from ..ops import creation
from ..tensor import Parameter, Tensor
from . import functional as F
from .layers import Dropout, LayerNorm, Linear
from .module import Module

# the registry's torch functions (nn sits below the torch namespace, so it asks ops for them)
_bmm = _ops.function("torch", "bmm")
_zeros_like = _ops.function("torch", "zeros_like")


def _canonical_mask(mask: Optional[Tensor], dtype_like: Tensor) -> Optional[Tensor]:
    """A mask as the scores' addend: a boolean mask becomes -inf where it is True."""
    if mask is None:
        return None
    if mask.is_floating_point():
        return mask
    return _zeros_like(mask, dtype=dtype_like.dtype).masked_fill(mask, -math.inf)


def _attention_mask(attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor], query: Tensor, bsz: int,
                    num_heads: int, tgt_len: int, src_len: int) -> Optional[Tensor]:
    """``attn_mask`` (L, S) or (N * num_heads, L, S) and ``key_padding_mask`` (N, S) merged
    into one addend of the scores (N * num_heads or 1, L or 1, S)."""
    mask = _canonical_mask(attn_mask, query)
    if mask is not None:
        if mask.dim() == 2:
            if mask.size(0) != tgt_len or mask.size(1) != src_len:
                raise RuntimeError(f"The shape of the 2D attn_mask is {mask.shape}, but should be "
                                   f"({tgt_len}, {src_len}).")
            mask = mask.unsqueeze(0)
        elif mask.dim() == 3:
            if mask.size(0) != bsz * num_heads or mask.size(1) != tgt_len or mask.size(2) != src_len:
                raise RuntimeError(f"The shape of the 3D attn_mask is {mask.shape}, but should be "
                                   f"({bsz * num_heads}, {tgt_len}, {src_len}).")
        else:
            raise RuntimeError(f"attn_mask's dimension {mask.dim()} is not supported")
    padding = _canonical_mask(key_padding_mask, query)
    if padding is not None:
        if padding.dim() != 2 or padding.size(0) != bsz or padding.size(1) != src_len:
            raise RuntimeError(f"expecting key_padding_mask shape of ({bsz}, {src_len}), but got {padding.shape}")
        padding = padding.view(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len).reshape(
            bsz * num_heads, 1, src_len)
        mask = padding if mask is None else mask + padding
    return mask


def _thirds(packed, n: int):
    """The query, key and value rows (``n`` each) of a packed projection (untyped: it slices)."""
    return packed[0:n], packed[n:2 * n], packed[2 * n:]


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                                 in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                                 q_proj_weight: Optional[Tensor], k_proj_weight: Optional[Tensor],
                                 v_proj_weight: Optional[Tensor], out_proj_weight: Tensor,
                                 out_proj_bias: Optional[Tensor], dropout_p: float, training: bool,
                                 key_padding_mask: Optional[Tensor] = None, need_weights: bool = True,
                                 attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    """Attention of (L, N, E) queries over (S, N, kdim) keys and (S, N, vdim) values: the
    output (L, N, E) and, with ``need_weights``, the attention weights (N, L, S) averaged over
    the heads (or per head, (N, num_heads, L, S))."""
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    tgt_len, bsz, embed_dim = query.size(0), query.size(1), query.size(2)
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise RuntimeError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    b_q: Optional[Tensor] = None
    b_k: Optional[Tensor] = None
    b_v: Optional[Tensor] = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = _thirds(in_proj_bias, embed_dim)
    if in_proj_weight is not None:
        w_q, w_k, w_v = _thirds(in_proj_weight, embed_dim)
        q = F.linear(query, w_q, b_q)
        k = F.linear(key, w_k, b_k)
        v = F.linear(value, w_v, b_v)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise RuntimeError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight "
                               "is None")
        q = F.linear(query, q_proj_weight, b_q)
        k = F.linear(key, k_proj_weight, b_k)
        v = F.linear(value, v_proj_weight, b_v)
    src_len = k.size(0)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    mask = _attention_mask(attn_mask, key_padding_mask, q, bsz, num_heads, tgt_len, src_len)
    scores = _bmm(q * (1.0 / math.sqrt(float(head_dim))), k.transpose(1, 2))
    if mask is not None:
        scores = scores + mask
    weights = F.softmax(scores, -1)
    if training and dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, True)
    out = _bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)
    if not need_weights:
        return out, None
    per_head = weights.view(bsz, num_heads, tgt_len, src_len)
    return out, (per_head.mean(1) if average_attn_weights else per_head)


def _xavier_uniform(shape: Tuple[int, int]) -> Parameter:
    bound = math.sqrt(6.0 / (shape[0] + shape[1]))
    arr = creation.generator().uniform(-bound, bound, size=shape).astype(np.float32)
    return Parameter(Tensor._wrap(arr))


def _zeros(n: int) -> Parameter:
    return Parameter(Tensor._wrap(np.zeros(n, np.float32)))


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention's output projection (a Linear; PyTorch's name for it)."""


class MultiheadAttention(Module):
    """``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (attn_output, attn_weights or None)``."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention with add_bias_kv or add_zero_attn is not supported")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, float(dropout), \
            batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _xavier_uniform((3 * embed_dim, embed_dim))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = _xavier_uniform((embed_dim, embed_dim))
            self.k_proj_weight = _xavier_uniform((embed_dim, self.kdim))
            self.v_proj_weight = _xavier_uniform((embed_dim, self.vdim))
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", _zeros(3 * embed_dim) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias = _zeros(embed_dim)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        batched = query.dim() == 3
        if batched and self.batch_first:
            query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        out, weights = multi_head_attention_forward(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.q_proj_weight,
            self.k_proj_weight, self.v_proj_weight, self.out_proj.weight, self.out_proj.bias, self.dropout,
            self.training, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)
        if batched and self.batch_first:
            out = out.transpose(1, 0)
        if not batched:
            out = out.squeeze(1)
            if weights is not None:
                weights = weights.squeeze(0)
        return out, weights


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and a
    LayerNorm (after it, or before it with ``norm_first=True``)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation_relu_or_gelu = 1 if activation == "relu" else 2

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None, src_key_padding_mask: Optional[Tensor] = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                  is_causal: bool):
        out, _ = self.self_attn(x, x, x, key_padding_mask, False, attn_mask, True, is_causal)
        return self.dropout1(out)

    def _ff_block(self, x: Tensor):
        h = self.linear1(x)
        h = F.relu(h) if self.activation_relu_or_gelu == 1 else F.gelu(h)
        return self.dropout2(self.linear2(self.dropout(h)))
