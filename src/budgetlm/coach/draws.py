"""Every random number an episode uses, drawn up front from the episode's generator.

Month ``i`` reads row ``i`` of each array whatever the coach does, so two coaches run on the same
person with the same seed meet the same luck: the same income noise and shocks, the same impulse
splurges, and the same uniform draw against which "follows the advice" and "walks away" are
decided (common random numbers). Paired comparisons of coaches then measure the coaches, not
the luck. The draws depend only on the generator, the number of months and of categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Draws:
    """Random numbers for ``months`` months (standard normals ``z``, uniforms ``u`` on [0, 1))."""

    income: Floats
    """z: income noise."""
    essentials: Floats
    """z: essential-spending noise."""
    wants: Floats
    """z, shape (months, categories): discretionary noise per category."""
    impulse: Floats
    """u: an impulse splurge happens when below ``Traits.impulse_rate``."""
    impulse_size: Floats
    """u: the splurge's size, scaled onto [0.5, 1.5] of ``Traits.impulse_size``."""
    impulse_category: Floats
    """u: which category it lands in (by usual spend)."""
    expense: Floats
    """u: an unexpected expense happens when below ``Traits.expense_shock_rate``."""
    expense_size: Floats
    """u: its size, scaled onto [0.5, 1.5] of ``Traits.expense_shock_size``."""
    shock: Floats
    """u: an income shock starts when below ``Traits.income_shock_rate``."""
    shock_length: Floats
    """u: its length, exponential with mean ``Traits.income_shock_months``."""
    follow: Floats
    """u: advice is followed when below its follow probability."""
    leave: Floats
    """u: the person disengages when below their hazard."""
    cancel: Floats
    """u: automatic transfers are cancelled after a shortfall when below ``transfer_cancel``."""

    @property
    def months(self) -> int:
        """Months covered."""
        return len(self.income)

    @classmethod
    def sample(cls, rng: np.random.Generator, months: int, categories: int) -> Draws:
        """Draw ``months`` months of randomness for ``categories`` discretionary categories."""
        z = rng.standard_normal((months, 2 + categories))
        u = rng.random((months, 10))
        return cls(
            income=z[:, 0],
            essentials=z[:, 1],
            wants=z[:, 2:],
            impulse=u[:, 0],
            impulse_size=u[:, 1],
            impulse_category=u[:, 2],
            expense=u[:, 3],
            expense_size=u[:, 4],
            shock=u[:, 5],
            shock_length=u[:, 6],
            follow=u[:, 7],
            leave=u[:, 8],
            cancel=u[:, 9],
        )
