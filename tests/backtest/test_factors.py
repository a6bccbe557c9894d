import pytest

from signaldesk.backtest.factors import bonferroni_z, corrected_interval
from signaldesk.signals.evidence import Ic


def test_bonferroni_widening_by_hand():
    assert bonferroni_z(1) == pytest.approx(1.959964, abs=1e-6)
    assert bonferroni_z(3) == pytest.approx(2.393980, abs=1e-6)  # Φ⁻¹(1 − 0.05 / 6)
    low, high = corrected_interval(Ic(30, 500, 0.12, 0.05, 0.022, 0.218, 2.4), 3)
    assert (low, high) == (
        pytest.approx(0.12 - 2.393980 * 0.05, abs=1e-6),
        pytest.approx(0.12 + 2.393980 * 0.05, abs=1e-6),
    )
    assert corrected_interval(Ic(30, 10, None, None, None, None, None), 3) == (None, None)
