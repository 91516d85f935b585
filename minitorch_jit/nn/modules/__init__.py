"""``torch.nn.modules``: where PyTorch keeps its modules; here only :mod:`.utils` (the layers
are in :mod:`minitorch_jit.nn`)."""
