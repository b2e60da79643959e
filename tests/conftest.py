"""Shared test settings.

On an NVIDIA GPU, cuDNN's RNN kernels and cuBLAS may compute float32 products in TF32 (10-bit
mantissa), which differs from the CPU's float32 at about 1e-4: by default for cuDNN
(``torch.backends.cudnn.allow_tf32``). Parity tests compare implementations at float32's own
precision, so every test runs with TF32 off; ``test_parity.py`` states what changes when it is on.
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _full_float32_precision():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
