"""Intersection over union of boxes (the seeds' ``ratio_iou``): 20 pointwise ops.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
import minitorch_jit as torch


def ratio_iou(x1, y1, w1, h1, x2, y2, w2, h2):
    xi = torch.max(x1, x2)                                   # intersection
    yi = torch.max(y1, y2)
    wi = torch.clamp(torch.min(x1 + w1, x2 + w2) - xi, min=0)
    hi = torch.clamp(torch.min(y1 + h1, y2 + h2) - yi, min=0)
    area_i = wi * hi                                         # area of the intersection
    area_u = w1 * h1 + w2 * h2 - wi * hi                     # area of the union
    return area_i / torch.clamp(area_u, min=1e-5)
