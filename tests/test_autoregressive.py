"""lstmlib.autoregressive: AR(p) by least squares recovers a known process; the order is chosen on validation."""

import numpy as np
import pytest

from lstmlib.autoregressive import AutoRegressive, select_order


def ar2_series(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(2, n):  # y_t = 1 + 0.6 y_{t-1} - 0.3 y_{t-2} + noise
        y[t] = 1.0 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.normal(scale=0.1)
    return y


def test_recovers_the_coefficients_of_a_known_process():
    model = AutoRegressive(2).fit(ar2_series(5000))
    np.testing.assert_allclose(model.coef, [0.6, -0.3], atol=0.03)
    assert model.intercept == pytest.approx(1.0, abs=0.05)


def test_predict_is_equation_AR1_on_the_true_history():
    y = ar2_series(300, seed=1)
    model = AutoRegressive(3).fit(y[:200])
    pred = model.predict(y, 200)
    by_hand = [model.intercept + sum(model.coef[j - 1] * y[t - j] for j in (1, 2, 3)) for t in range(200, 300)]
    np.testing.assert_allclose(pred, by_hand, rtol=1e-12)


def test_select_order_picks_by_validation_error():
    y = ar2_series(3000, seed=2)
    choice = select_order(y, 2000, 2500, orders=range(1, 8))
    assert choice.validation_mse[1] > choice.validation_mse[2]  # AR(1) misses the second lag
    assert choice.order == min(choice.validation_mse, key=choice.validation_mse.get)
    assert choice.order >= 2 and choice.model.order == choice.order


def test_clear_errors():
    with pytest.raises(ValueError, match="order must be an int ≥ 1; got 0"):
        AutoRegressive(0)
    with pytest.raises(ValueError, match=r"1-D series; got shape \(3, 2\)"):
        AutoRegressive(1).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="finite; got 1 NaN"):
        AutoRegressive(1).fit(np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match="at least 2 \\* order \\+ 1 = 9 values; got 5"):
        AutoRegressive(4).fit(np.arange(5.0))
    with pytest.raises(RuntimeError, match="fit"):
        AutoRegressive(1).predict(np.arange(5.0), 2)
    with pytest.raises(ValueError, match=r"start must be in \[order, len\(y\)\) = \[2, 10\); got 1"):
        AutoRegressive(2).fit(np.arange(10.0) ** 2).predict(np.arange(10.0), 1)
    with pytest.raises(ValueError, match="orders must not be empty"):
        select_order(np.arange(50.0), 30, 40, orders=[])
