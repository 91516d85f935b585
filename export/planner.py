"""Memory planning: which intermediates share a slot of the arena.

Each buffer is live from the node that writes it to the last node that reads it (through
views too). Buffers are taken in the order they are written; each goes into a slot none of
whose buffers is live any more, else into a new slot (a greedy assignment by lifetime, as
ExecuTorch's shared-object planner does). Sizes depend on the inputs, so the planner works
on lifetimes alone and a slot's size is the largest of its buffers', computed at run time;
among free slots it prefers the one whose buffers' estimated size is closest to the new
buffer's, so big buffers share with big ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List


@dataclass
class Buffer:
    first: int      # the position of the node that writes it
    last: int       # the position of the last node that reads it
    estimate: int   # its size in bytes with every free size taken as 64, to pair like with like


def assign_slots(buffers: List[Buffer]) -> List[int]:
    """The slot of each buffer: two buffers share a slot only when their lifetimes do not
    overlap."""
    slot_end: List[int] = []       # the last position at which each slot is in use
    slot_size: List[int] = []
    result = [0] * len(buffers)
    for b in sorted(range(len(buffers)), key=lambda i: buffers[i].first):
        buf = buffers[b]
        free = [s for s, end in enumerate(slot_end) if end < buf.first]
        if free:
            s = min(free, key=lambda s: abs(slot_size[s] - buf.estimate))
            slot_end[s] = buf.last
            slot_size[s] = max(slot_size[s], buf.estimate)
        else:
            s = len(slot_end)
            slot_end.append(buf.last)
            slot_size.append(buf.estimate)
        result[b] = s
    return result
