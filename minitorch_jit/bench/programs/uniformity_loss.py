"""The uniformity loss of Wang and Isola (arXiv 2005.10242), two ways: ``lunif`` with
``pdist`` as in the paper, ``lunif2`` from a matrix product.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
import minitorch_jit as torch


def lunif(x, t: int = 2):
    sq_pdists = torch.pdist(x, p=2).pow(2)
    return sq_pdists.mul(-t).exp().mean().log()


def lunif2(x, t: int = 2):
    xnorm = torch.norm(x, p=2, dim=1).pow(2)
    sq_pdist = xnorm[None] + xnorm[:, None] - 2 * torch.mm(x, x.t())
    exp = sq_pdist.mul(-t).exp().tril(diagonal=-1)
    N = x.size(0)
    # the seeds write .mul(2 / (N * N - N)): Python arithmetic on N, which a trace freezes
    return exp.sum().mul(2).div(N * N - N).log()
