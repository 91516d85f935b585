"""Softmax and layer norm written out by hand: reductions with pointwise ops between them.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
import minitorch_jit as torch


def softmax(x):
    e = torch.exp(x - torch.amax(x, dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True)


def layer_norm(x, weight, bias, eps: float = 1e-5):
    mean = x.mean(dim=1, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=1, keepdim=True)
    return centered * torch.rsqrt(var + eps) * weight + bias


def cross_entropy(logits, target):
    """Cross-entropy written as its two ops: log_softmax over the classes, then nll_loss."""
    return torch.nn.functional.nll_loss(torch.log_softmax(logits, dim=1), target)
