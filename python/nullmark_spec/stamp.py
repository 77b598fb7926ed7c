"""Stamping (docs/watermark.md, "Stamping"): the null stamp writes bit ? +lambda : -lambda into the
pattern's cells of every channel, the true stamp the inverse; every other element keeps its value.
Works on NCHW (or CHW) numpy arrays and PyTorch tensors, after normalisation, as nullmark stamps."""
import numpy as np


def _values(wm, invert, channels):
    """[C, n, n] float32 stamp values."""
    on = (wm.bits != 0) != bool(invert)
    lam = np.float32(wm.lam)
    signed = np.where(on, lam, -lam).astype(np.float32)
    out = np.empty((channels, wm.n, wm.n), dtype=np.float32)
    for c in range(channels):
        k = min(c, len(wm.scale) - 1)
        # float32 multiply, then add: the kernel's arithmetic (with contraction to a fused
        # multiply-add a compiler may differ in the last bit for raw-space claims).
        out[c] = signed * np.float32(wm.scale[k]) + np.float32(wm.shift[k])
    return out


def stamp(x, wm, invert=False):
    """A stamped copy of x: null (invert=False) or true (invert=True). x is [N, C, H, W] or [C, H, W]."""
    channels = x.shape[-3]
    values = _values(wm, invert, channels)
    r0, r1, c0, c1 = wm.row, wm.row + wm.n, wm.col, wm.col + wm.n
    if type(x).__module__.split(".")[0] == "torch":
        import torch  # only when given a tensor: the package does not depend on PyTorch

        out = x.clone()
        out[..., r0:r1, c0:c1] = torch.as_tensor(values, dtype=x.dtype, device=x.device)
        return out
    out = np.array(x, dtype=np.float32, copy=True)
    out[..., r0:r1, c0:c1] = values
    return out
