"""Shared test settings.

On an NVIDIA GPU, cuDNN's RNN kernels and cuBLAS may compute float32 products in TF32 (10-bit
mantissa), which differs from the CPU's float32 at about 1e-4: by default for cuDNN
(``torch.backends.cudnn.allow_tf32``). Parity tests compare implementations at float32's own
precision, so every test runs with TF32 off; ``test_parity.py`` states what changes when it is on.

Importing PyTorch's own test samples (``torch.testing._internal.common_modules``, used by the
``test_module_db.py`` files) freezes ``torch.backends``' flags for the rest of the process; the
fixture runs every test inside torch's context that permits setting them, so the order of the tests
does not matter.
"""

import pytest
import torch

# torch.backends.__allow_nonbracketed_mutation, a context manager (getattr: the name would be mangled).
_allow_mutation = getattr(torch.backends, "__allow_nonbracketed_mutation")


@pytest.fixture(autouse=True)
def _full_float32_precision():
    # Inside the context, code under test (set_seed sets cuDNN's deterministic flag) may set flags too.
    with _allow_mutation():
        saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        yield
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
