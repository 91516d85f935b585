"""Shape and indexing ops: results against numpy, views sharing memory with their base (and
with numpy), copies that do not, 0-d and empty tensors, and PyTorch's errors."""
import math

import numpy as np
import pytest

import minitorch_jit as torch

A = np.arange(24).reshape(2, 3, 4)


def a():
    return torch.arange(24).reshape(2, 3, 4)


def shares(x, y):
    return np.shares_memory(x.numpy(), y.numpy())


@pytest.mark.parametrize("make, want", [
    (lambda x: x.view(6, 4), A.reshape(6, 4)), (lambda x: x.view(-1), A.reshape(-1)),
    (lambda x: x.view(4, -1), A.reshape(4, -1)), (lambda x: x.reshape((3, 8)), A.reshape(3, 8)),
    (lambda x: x.view_as(torch.zeros(4, 6)), A.reshape(4, 6)), (lambda x: x.transpose(0, 2), A.transpose(2, 1, 0)),
    (lambda x: x.transpose(-1, -2), A.transpose(0, 2, 1)), (lambda x: x.permute(2, 0, 1), A.transpose(2, 0, 1)),
    (lambda x: x.permute([1, 0, -1]), A.transpose(1, 0, 2)), (lambda x: x[0].t(), A[0].T), (lambda x: x.T, A.T),
    (lambda x: x.unsqueeze(0), A[None]), (lambda x: x.unsqueeze(-1), A[..., None]), (lambda x: x.unsqueeze(-4), A[None]),
    (lambda x: x[:1].squeeze(), A[0]), (lambda x: x[:1].squeeze(0), A[0]), (lambda x: x.squeeze(1), A),
    (lambda x: x[:1, :, :1].squeeze((0, 2)), A[0, :, 0]), (lambda x: x.flatten(1), A.reshape(2, 12)),
    (lambda x: x.flatten(0, 1), A.reshape(6, 4)), (lambda x: x.flatten(), A.reshape(-1)),
    (lambda x: x[:, :1].expand(2, 3, 4), np.broadcast_to(A[:, :1], (2, 3, 4))),
    (lambda x: x[0, :, :1].expand(2, -1, 4), np.broadcast_to(A[0, :, :1], (2, 3, 4))),
    (lambda x: x.select(1, -1), A[:, -1]), (lambda x: x[1], A[1]), (lambda x: x[:, 1:, ::2], A[:, 1:, ::2]),
    (lambda x: x[..., 1], A[..., 1]), (lambda x: x[None, 1, ..., None], A[None, 1, ..., None]),
    (lambda x: x.detach(), A), (lambda x: x.chunk(2, 2)[1], A[:, :, 2:]), (lambda x: x.split(2, 1)[1], A[:, 2:]),
    (lambda x: x.unbind(1)[2], A[:, 2]), (lambda x: x.contiguous(), A), (lambda x: x.to(torch.int64), A),
    (lambda x: x[1, 2, 3], A[1, 2, 3]), (lambda x: x.swapaxes(0, 1), A.swapaxes(0, 1)),
])
def test_views_have_numpy_values_and_share_memory_with_their_base(make, want):
    base = a()
    v = make(base)
    assert v.shape == want.shape and v.dtype == torch.int64
    np.testing.assert_array_equal(v.numpy(), want)
    assert shares(v, base)
    v.numpy().flat[0] = -99 if v.numel() else 0        # a write through the view shows in the base
    assert (base.numpy() == -99).any() or not v.numel()


def test_writing_through_a_view_of_a_view_and_through_numpy():
    base = torch.zeros(3, 4)
    row = base[1]
    row[2] = 7.0                       # t[i][j] = v writes through two views
    base[2][0] = 5.0
    base.t()[3, 0] = 1.0
    assert base.tolist() == [[0, 0, 0, 1], [0, 0, 7, 0], [5, 0, 0, 0]]
    n = base.numpy()
    n[0, 0] = -1
    assert base[0, 0].item() == -1
    x = torch.zeros(3, dtype=torch.bool)
    x[1] = 5                            # converted to the tensor's dtype
    assert x.tolist() == [False, True, False]


@pytest.mark.parametrize("make", [
    lambda x: x.clone(), lambda x: x.to(torch.float32), lambda x: x.float(), lambda x: x.transpose(0, 1).contiguous(),
    lambda x: x.transpose(0, 1).reshape(-1), lambda x: x[[0, 1]], lambda x: x[x > 3], lambda x: torch.cat([x, x]),
    lambda x: torch.stack([x]), lambda x: x.tril(), lambda x: x.triu(), lambda x: x.type_as(torch.ones(1)),
])
def test_copies_do_not_share_memory(make):
    base = a()
    assert not shares(make(base), base)


def test_identity_returns():
    x = a()
    assert x.contiguous() is x and x.to(torch.int64) is x
    assert x.to(torch.int64, copy=True) is not x
    assert x.t() is not x if x.dim() <= 2 else True
    assert x.detach() is not x and shares(x.detach(), x)


def test_numpy_and_from_numpy_share_memory_both_ways():
    n = np.zeros((2, 3), np.float32)
    t = torch.from_numpy(n)
    n[0, 0] = 1
    t[1, 2] = 2
    t.add_(1)
    assert n.tolist() == [[2, 1, 1], [1, 1, 3]]
    assert t.numpy() is n or shares(t, torch.from_numpy(n))
    with pytest.raises(TypeError, match="expected np.ndarray \\(got list\\)"):
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        torch.from_numpy(np.zeros(2, np.uint16))


def test_view_and_reshape_errors_and_copies():
    x = a()
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 24"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        x.transpose(0, 2).view(-1)
    r = x.transpose(0, 2).reshape(-1)
    np.testing.assert_array_equal(r.numpy(), A.transpose(2, 1, 0).reshape(-1))
    assert torch.zeros(0, 3).view(-1, 3).shape == (0, 3) and torch.tensor(3.5).view(()).shape == ()
    assert torch.tensor(3.5).view(1, 1).shape == (1, 1) and torch.zeros(0, 3).reshape(3, 0).shape == (3, 0)


def test_dimension_errors_name_the_range():
    x = a()
    for f in (lambda: x.unsqueeze(4), lambda: x.squeeze(3), lambda: x.transpose(0, 3), lambda: x.select(3, 0),
              lambda: x.flatten(3), lambda: x.chunk(2, 3), lambda: torch.cat([x, x], 3)):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-\d, \d\]"):
            f()
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x.select(1, 3)
    with pytest.raises(RuntimeError, match="permute\\(\\): duplicate dims are not allowed."):
        x.permute(2, 0, 2)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        x.permute(2, 0)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        x.t()
    with pytest.raises(RuntimeError, match="flatten\\(\\) has invalid args: start_dim cannot come after end_dim"):
        x.flatten(2, 0)


def test_zero_dim_tensors():
    s = torch.tensor(3.5)
    assert s.unsqueeze(0).shape == (1,) and s.unsqueeze(-1).shape == (1,)
    assert s.squeeze().shape == () and s.squeeze(0).shape == () and s.flatten().shape == (1,)
    assert s.t().shape == () and s.contiguous().shape == () and s.transpose(0, -1).shape == ()
    assert s.reshape(-1).tolist() == [3.5] and s.view(1, 1, 1).shape == (1, 1, 1)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        s.flatten(1)
    with pytest.raises(RuntimeError, match="split expects at least a 1-dimensional tensor"):
        s.split(1)
    with pytest.raises(RuntimeError, match="chunk expects at least a 1-dimensional tensor"):
        s.chunk(1)
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 0\\) cannot be concatenated"):
        torch.cat([s, s])
    assert torch.stack([s, s]).tolist() == [3.5, 3.5]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor. Use `tensor.item\\(\\)`"):
        s[0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(s)
    assert s.size() == () and s.dim() == 0 and s.numel() == 1


def test_expand():
    col = torch.tensor([[1], [2]])
    e = col.expand(2, 3)
    assert e.tolist() == [[1, 1, 1], [2, 2, 2]] and shares(e, col) and e.stride() == (1, 0)
    assert col.expand(-1, 3).shape == (2, 3) and col.expand(4, 2, 3).shape == (4, 2, 3)
    assert col.expand([2, 3]).shape == (2, 3) and col.expand(torch.zeros(2, 5).size()).shape == (2, 5)
    assert col.expand_as(torch.zeros(3, 2, 5)).shape == (3, 2, 5)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(3\) must match the existing size \(2\) "
                                           r"at non-singleton dimension 0.  Target sizes: \[3, 3\].  Tensor sizes: "
                                           r"\[2, 1\]"):
        col.expand(3, 3)
    with pytest.raises(RuntimeError, match="the number of sizes provided \\(1\\) must be greater or equal"):
        col.expand(3)
    with pytest.raises(RuntimeError, match="-1 is not allowed in a leading, non-existing dimension"):
        col.expand(-1, 2, 3)
    # one element of an expanded view may be written (it is one memory location); in-place ops may not
    row = torch.zeros(1, 3)
    e = row.expand(2, 3)
    e[0, 0] = 1
    assert e.tolist() == [[1, 0, 0], [1, 0, 0]]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory "
                                           "location"):
        e.add_(1)


def test_cat_and_stack():
    x, y = torch.ones(2, 3), torch.zeros(1, 3)
    assert torch.cat([x, y]).tolist() == [[1, 1, 1], [1, 1, 1], [0, 0, 0]]
    assert torch.cat((x, torch.zeros(2, 1)), dim=1).shape == (2, 4) and torch.cat([x, x], -1).shape == (2, 6)
    assert torch.concat([x, y]).shape == (3, 3)
    assert torch.cat([x, torch.zeros(0)]).shape == (2, 3)     # PyTorch skips 1-d empty tensors
    mixed = torch.cat([torch.ones(2, dtype=torch.int64), torch.ones(1), torch.ones(1, dtype=torch.bool)])
    assert mixed.dtype == torch.float32 and mixed.tolist() == [1, 1, 1, 1]
    assert torch.cat([torch.ones(1, dtype=torch.int32), torch.ones(1, dtype=torch.int64)]).dtype == torch.int64
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 0. Expected size \[2, 3\] "
                                           r"but got size \[3, 2\] for tensor number 1 in the list."):
        torch.cat([x, torch.ones(3, 2)])
    with pytest.raises(ValueError, match="torch.cat\\(\\): expected a non-empty list of Tensors"):
        torch.cat([])
    s = torch.stack([x, x + 1], 1)
    np.testing.assert_array_equal(s.numpy(), np.stack([np.ones((2, 3)), np.full((2, 3), 2)], 1))
    assert torch.stack([x, x], -1).shape == (2, 3, 2)
    assert torch.stack([torch.ones(2, dtype=torch.int64), torch.ones(2)]).dtype == torch.float32
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and "
                                           r"\[3\] at entry 1"):
        torch.stack([torch.ones(2), torch.ones(3)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        torch.stack([])


def test_chunk_and_split():
    r = torch.arange(7)
    assert [c.tolist() for c in r.chunk(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [c.tolist() for c in torch.arange(6).chunk(4)] == [[0, 1], [2, 3], [4, 5]]   # fewer chunks than asked
    assert [c.tolist() for c in torch.arange(2).chunk(5)] == [[0], [1]]
    assert [c.shape for c in torch.zeros(0, 2).chunk(2)] == [(0, 2), (0, 2)]
    assert [c.tolist() for c in r.split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [c.tolist() for c in r.split([2, 5])] == [[0, 1], [2, 3, 4, 5, 6]]
    assert [c.shape for c in torch.split(torch.zeros(3, 4), [1, 3], dim=1)] == [(3, 1), (3, 3)]
    assert [c.tolist() for c in r.split(10)] == [list(range(7))]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 7"):
        r.split([2, 4])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        r.chunk(0)


def test_triangles():
    m = np.arange(12).reshape(3, 4)
    x = torch.from_numpy(m)
    for k in (-5, -1, 0, 1, 5):
        np.testing.assert_array_equal(x.tril(k).numpy(), np.tril(m, k))
        np.testing.assert_array_equal(torch.triu(x, k).numpy(), np.triu(m, k))
    np.testing.assert_array_equal(a().tril().numpy(), np.tril(A))    # batched
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        torch.arange(3).tril()


@pytest.mark.parametrize("method, dtype", [("float", "float32"), ("double", "float64"), ("long", "int64"),
                                           ("int", "int32"), ("bool", "bool")])
def test_conversions(method, dtype):
    x = torch.tensor([-2.7, -0.5, 0.0, 0.4, 2.7])
    out = getattr(x, method)()
    assert out.dtype.name == dtype
    np.testing.assert_array_equal(out.numpy(), x.numpy().astype(dtype))   # toward zero, nonzero is True
    assert x.to(getattr(torch, dtype if dtype != "bool" else "bool")).dtype.name == dtype


def test_to_forms():
    x = a()
    assert x.to(float).dtype == torch.float64 and x.float().to(int).dtype == torch.int64
    assert x.to(torch.ones(1, dtype=torch.float64)).dtype == torch.float64
    assert x.to("cpu", torch.float64).dtype == torch.float64 and x.to(device="cpu", dtype=torch.int32).dtype == torch.int32
    assert x.to(dtype=torch.float64).dtype == torch.float64 and x.type_as(torch.ones(1)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="device 'cuda' is not supported"):
        x.to("cuda")


def test_queries():
    x = a()
    assert x.size() == (2, 3, 4) and x.shape == (2, 3, 4) and x.size(-1) == 4 and x.size(0) == 2
    assert repr(x.size()) == "torch.Size([2, 3, 4])" and x.size().numel() == 24
    assert x.dim() == x.ndim == x.ndimension() == 3 and x.numel() == torch.numel(x) == 24 and len(x) == 2
    assert x.stride() == (12, 4, 1) and x.transpose(0, 2).stride() == (1, 4, 12) and x.stride(1) == 4
    assert x.is_contiguous() and not x.transpose(0, 1).is_contiguous()
    assert x.element_size() == 8 and x.float().element_size() == 4 and x.bool().element_size() == 1
    assert not x.is_floating_point() and x.float().is_floating_point()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    assert [t.tolist() for t in torch.arange(4).reshape(2, 2)] == [[0, 1], [2, 3]]


def test_python_conversions():
    assert torch.tensor([3]).item() == 3 and isinstance(torch.tensor([3]).item(), int)
    assert torch.tensor([True]).item() is True
    assert torch.tensor(2.5, dtype=torch.float64).item() == 2.5
    assert int(torch.tensor([3.7])) == 3 and float(torch.tensor([3])) == 3.0
    assert [1, 2, 3][torch.tensor(1)] == 2
    assert a().tolist() == A.tolist() and torch.tensor(2.5).tolist() == 2.5 and torch.zeros(0, 2).tolist() == []
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.tensor([1, 2]).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements cannot be converted to Scalar"):
        torch.zeros(0).item()
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        int(torch.tensor([3.7, 1]))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(torch.zeros(0))
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][torch.tensor(1.0)]
    assert bool(torch.zeros(1, 1)) is False


# -- indexing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (1, 2, 3), (slice(None), 1), (Ellipsis, 1), None, (None, 1), (slice(None), None, 1),
    slice(None, None, 2), slice(1, None), slice(-2, None), slice(None, -1), slice(5, None), (1, Ellipsis, None),
    [0, 1], (slice(None), [0, 2]), ([0, 1], [1, 2]), ([0, 1], slice(None), [1, 2]), (0, [0, 2]),
    (Ellipsis, [3, 1]), (slice(None), slice(None, None, 3)), (1, -3),
], ids=str)
def test_getitem_matches_numpy(index):
    got = a()[index]
    want = A[index]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


def test_getitem_with_tensors():
    x, m = a(), A > 10
    np.testing.assert_array_equal(x[torch.from_numpy(m)].numpy(), A[m])
    np.testing.assert_array_equal(x[torch.tensor([1, 0])].numpy(), A[[1, 0]])
    np.testing.assert_array_equal(x[torch.tensor([True, False])].numpy(), A[[True, False]])
    np.testing.assert_array_equal(x[:, torch.tensor([[0, 1], [1, 2]])].numpy(), A[:, [[0, 1], [1, 2]]])
    np.testing.assert_array_equal(x[torch.tensor([0, 1]), torch.tensor([1])].numpy(), A[[0, 1], [1]])
    assert x[torch.tensor(1)].shape == (3, 4) and x[torch.tensor([], dtype=torch.int64)].shape == (0, 3, 4)


def test_getitem_errors():
    x = a()
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 2"):
        x[3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 3"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x[[5]]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int or bool tensors"):
        x[torch.tensor([1.0])]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="The shape of the mask \\[3\\] at index 0 does not match"):
        x[torch.tensor([True, False, True])]


@pytest.mark.parametrize("index, value", [
    (0, 0), ((slice(None), slice(1, None)), 7), ((Ellipsis, 0), np.arange(6).reshape(2, 3) * 10),
    (([0, 1], [1, 2]), 99), ((0, 0), 2.7), ((0, 0, 0), 5), ((slice(None), [0, 2], 1), np.array([1, 2])),
    ((None, 0), 1), ([1], 5),
], ids=str)
def test_setitem_matches_numpy(index, value):
    x, want = a(), A.copy()
    x[index] = torch.tensor(value) if isinstance(value, np.ndarray) else value
    want[index] = value
    np.testing.assert_array_equal(x.numpy(), want)


def test_setitem_with_masks_and_tensors():
    x = torch.tensor([[1., -2.], [-3., 4.]])
    x[x < 0] = 0
    assert x.tolist() == [[1, 0], [0, 4]]
    x[x > 10] = 3                            # an empty mask changes nothing
    x[torch.tensor([1])] = torch.tensor(5.0)
    assert x.tolist() == [[1, 0], [5, 5]]
    x[x.bool()] = torch.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[1, 0], [2, 3]]
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2\] cannot be broadcast to "
                                           r"indexing result of shape \[4\]"):
        x[x >= 0] = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(2\) must match the existing size \(5\)"):
        x[0] = torch.ones(5)


def test_index_put_and_masked_fill():
    x = torch.zeros(3)
    x.index_put_((torch.tensor([0, 0, 2]),), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert x.tolist() == [3, 0, 3]
    y = x.index_put((torch.tensor([1]),), torch.tensor(5.0))
    assert y.tolist() == [3, 5, 3] and x.tolist() == [3, 0, 3]
    m = torch.tensor([[1.0, -1.0], [-2.0, 2.0]])
    assert m.masked_fill(m > 0, -1).tolist() == [[-1, -1], [-2, -1]]
    assert m.masked_fill(torch.tensor([True, False]), torch.tensor(7.5)).tolist() == [[7.5, -1], [7.5, 2]]
    assert torch.tensor([1, 5]).masked_fill(torch.tensor([True, False]), 2.7).tolist() == [2, 5]  # to self's dtype
    assert torch.zeros(2).masked_fill(torch.ones(3, 2, dtype=torch.bool), 1.0).shape == (3, 2)
    m.masked_fill_(m < 0, 0)
    assert m.tolist() == [[1, 0], [0, 2]]
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype float32"):
        m.masked_fill(torch.ones(2, 2), 0.0)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports a 0-dimensional value tensor"):
        m.masked_fill(m > 0, torch.tensor([1.0, 2.0]))


def test_fill_zero_copy():
    x = torch.zeros(2, 2)
    assert x.fill_(3).tolist() == [[3, 3], [3, 3]] and x.fill_(torch.tensor(2.5)).tolist() == [[2.5, 2.5]] * 2
    assert x.zero_() is x and x.tolist() == [[0, 0], [0, 0]]
    i = torch.zeros(2, dtype=torch.int64)
    assert i.fill_(2.7).tolist() == [2, 2] and i.copy_(torch.tensor([1.9, -1.9])).tolist() == [1, -1]
    x.copy_(torch.tensor([1, 2]))
    assert x.tolist() == [[1, 2], [1, 2]] and x.dtype == torch.float32
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."):
        x.fill_(torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"output with shape \[2, 2\] doesn't match the broadcast shape \[3, 2, 2\]"):
        x.copy_(torch.ones(3, 2, 2))


# -- nonzero, where(condition): values read off torch 2.13 ---------------------------------------


def _lists(ts):
    return [t.tolist() for t in ts]


def test_nonzero_gives_the_indices_of_nonzero_elements_as_pytorch():
    x = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    for got in (torch.nonzero(x), x.nonzero(), torch.nonzero(x, as_tuple=False)):
        assert got.dtype == torch.int64 and got.tolist() == [[0, 0], [1, 1]]
    assert torch.nonzero(torch.tensor([True, False, True])).tolist() == [[0], [2]]
    assert torch.nonzero(torch.tensor([math.nan, 0.0, -0.0, 1.0])).tolist() == [[0], [3]]  # NaN is not zero
    assert torch.nonzero(torch.tensor(3.0)).shape == (1, 0)
    assert torch.nonzero(torch.tensor(0.0)).shape == (0, 0)
    assert torch.nonzero(torch.zeros(2, 0, 3)).shape == (0, 3)
    assert torch.nonzero(torch.zeros(2, 3)).shape == (0, 2)


def test_nonzero_as_tuple_and_where_of_a_condition_give_a_tuple_of_index_tensors():
    x = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    for got in (torch.nonzero(x, as_tuple=True), x.nonzero(as_tuple=True), torch.where(x > 0)):
        assert type(got) is tuple and _lists(got) == [[0, 1], [0, 1]] and got[0].dtype == torch.int64
    assert _lists(torch.where(torch.tensor([1, 0, 2]))) == [[0, 2]]  # any dtype, as in PyTorch
    # a 0-d tensor counts as 1-d
    assert _lists(torch.nonzero(torch.tensor(5), as_tuple=True)) == [[0]]
    assert _lists(torch.where(torch.tensor(True))) == [[0]]
    assert _lists(torch.nonzero(torch.tensor(0.0), as_tuple=True)) == [[]]
    assert _lists(torch.nonzero(torch.zeros(2, 0, 3), as_tuple=True)) == [[], [], []]
    assert _lists(torch.where(torch.zeros(2, 3))) == [[], []]
    with pytest.raises(TypeError, match="nonzero\\(\\) received an invalid combination of arguments"):
        torch.nonzero(x, as_tuple=1)


# -- fill_ and zero_ on an expanded tensor: as torch 2.13 -----------------------------------------


def test_fill_and_zero_with_a_number_write_through_an_expanded_tensor_as_pytorch():
    base = torch.ones(3)
    e = base.expand(2, 3)
    assert e.fill_(2) is e and e.tolist() == [[2.0] * 3] * 2 and base.tolist() == [2.0] * 3
    assert torch.fill_(e, 5).tolist() == [[5.0] * 3] * 2
    assert e.zero_().tolist() == [[0.0] * 3] * 2 and base.tolist() == [0.0] * 3


def test_fill_with_a_tensor_and_other_in_place_ops_refuse_an_expanded_tensor_as_pytorch():
    message = ("^unsupported operation: more than one element of the written-to tensor refers to a single memory "
               r"location. Please clone\(\) the tensor before performing the operation.$")
    e = torch.ones(1).expand(4)
    with pytest.raises(RuntimeError, match=message):
        e.fill_(torch.tensor(3.0))
    for write in (lambda t: t.add_(1), lambda t: t.mul_(0), lambda t: t.exp_(), lambda t: t.copy_(torch.zeros(4)),
                  lambda t: t.clamp_(0, 0.5)):
        with pytest.raises(RuntimeError, match=message):
            write(e)
    assert e.tolist() == [1.0] * 4
