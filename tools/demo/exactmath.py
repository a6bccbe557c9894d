"""Correctly rounded exp, log, tanh and power for the demo generator, the same on every machine.

NumPy picks a SIMD kernel for `exp`, `log`, `tanh` and `power` by CPU (AVX-512 has its own), and
the kernels disagree in the last bit; the C library's scalar functions vary by version and CPU too.
The demo recordings are compared byte for byte with a fresh build, so every transcendental the
generator uses goes through `decimal`, whose `exp` and `ln` are correctly rounded by specification
(libmpdec, pure software). Plain `+ - * /` and `sqrt` are exact in IEEE 754 and need no help.
The cost is about a microsecond per value; the generator evaluates a few hundred thousand.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from typing import TypeVar

import numpy as np
import pandas as pd

_CONTEXT = Context(prec=34)
_HALF = Decimal("0.5")

Values = TypeVar("Values", float, np.ndarray, pd.Series)


def _elementwise(function: Callable[[Decimal], Decimal], values: Values) -> Values:
    """Apply `function` to each float (a scalar, an array or a Series keeping its index)."""
    if isinstance(values, pd.Series):
        return pd.Series(_elementwise(function, values.to_numpy(dtype=float)), index=values.index, name=values.name)
    array = np.asarray(values, dtype=float)
    flat = np.fromiter((float(function(Decimal(float(v)))) for v in array.ravel()), dtype=float, count=array.size)
    return float(flat[0]) if array.ndim == 0 else flat.reshape(array.shape)


_SERIES_BELOW = Decimal("1e-5")


def _tanh(x: Decimal) -> Decimal:
    """Near zero, 1 − 2/(e**2x + 1) cancels every digit: there the series x − x³/3 + 2x⁵/15 is exact
    to 34 digits; elsewhere the cancellation costs at most five of the 34."""
    with localcontext(_CONTEXT):
        if abs(x) < _SERIES_BELOW:
            x2 = x * x
            return x * (1 - x2 / 3 + 2 * x2 * x2 / 15)
        return 1 - 2 / ((2 * x).exp() + 1)


def exp(values: Values) -> Values:
    """e**x, correctly rounded."""
    return _elementwise(_CONTEXT.exp, values)


def log(values: Values) -> Values:
    """ln(x), correctly rounded (x > 0)."""
    return _elementwise(_CONTEXT.ln, values)


def tanh(values: Values) -> Values:
    """tanh(x), evaluated in 34 digits, then rounded once to a float."""
    return _elementwise(_tanh, values)


def power(values: Values, exponent: float) -> Values:
    """x**exponent for x > 0, as exp(exponent · ln x) in 34 digits."""
    e = Decimal(exponent)
    return _elementwise(lambda x: _CONTEXT.exp(_CONTEXT.multiply(e, _CONTEXT.ln(x))), values)


def halflife_alpha(halflife: float) -> float:
    """The EWM smoothing factor 1 − 0.5**(1/halflife) (pandas would compute it with NumPy's exp)."""
    return float(_CONTEXT.subtract(1, _CONTEXT.power(_HALF, _CONTEXT.divide(1, Decimal(halflife)))))
