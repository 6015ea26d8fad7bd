"""Firth-penalised conditional logistic regression with several covariates.

One case per stratum (a flare-up onset and its referent days). The conditional
log-likelihood is (Breslow & Day 1980, chapter 7)

    l(b) = sum_s [ b . x_s0 - log sum_j exp(b . x_sj) ]

with x_s0 the case and x_sj the stratum's members. Firth's penalty (Firth 1993; Heinze &
Schemper 2002; Heinze & Puhr 2010 for the conditional model) adds half the log-determinant
of the Fisher information, ``l*(b) = l(b) + 0.5 log det I(b)``: the estimate is finite under
separation, and its small-sample bias is removed to first order. Intervals are profile
penalised-likelihood intervals, and a coefficient is tested by the penalised likelihood
ratio ``2 (l*(b) - max l*(b | b_k = 0))`` against chi-squared with one degree of freedom,
as logistf does.

Arrays: ``x`` has shape (S, M, p) (S strata, M members with the case first, p covariates)
and ``valid`` shape (S, M). Strata whose case is missing or that have no valid referent
carry no information and are dropped by :func:`prepare`.

References
----------
Breslow NE, Day NE. Statistical methods in cancer research I. IARC 1980, chapter 7.
Firth D. Bias reduction of maximum likelihood estimates. Biometrika 1993;80:27-38.
Heinze G, Schemper M. A solution to the problem of separation in logistic regression.
Stat Med 2002;21:2409-2419.
Heinze G, Puhr R. Bias-reduced and separation-proof conditional logistic regression with
small or sparse data sets. Stat Med 2010;29:770-777.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Fit", "prepare", "penalised_loglik", "fit", "profile_interval", "lr_test"]

#: chi2(1) 0.95 quantile: the profile interval holds b with 2 (l*max - l*) below it.
CHI2_95 = float(stats.chi2.ppf(0.95, 1))
#: A profile interval end not reached within this |log OR| of the estimate is infinite.
PROFILE_REACH = 25.0


@dataclass
class Fit:
    """A penalised fit: coefficients, penalised log-likelihood, Wald standard errors."""

    coef: np.ndarray
    loglik: float
    se: np.ndarray
    converged: bool


def prepare(x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep informative strata: a valid case (member 0) and at least one valid referent.

    A member is valid when ``valid`` says so and none of its covariates is missing.
    Returns ``x`` with missing entries set to 0 and the cleaned ``valid``.
    """
    x = np.asarray(x, dtype=float)
    valid = np.asarray(valid, dtype=bool) & ~np.isnan(x).any(axis=-1)
    keep = valid[:, 0] & valid[:, 1:].any(axis=1)
    x, valid = x[keep], valid[keep]
    return np.where(valid[..., None], x, 0.0), valid


def _moments(b: np.ndarray, x: np.ndarray, valid: np.ndarray, third: bool
             ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None]:
    """Log-likelihood, score, information and (optionally) d information / d b."""
    eta = np.where(valid, x @ b, -np.inf)
    top = eta.max(axis=1, keepdims=True)
    e = np.exp(eta - top)
    tot = e.sum(axis=1, keepdims=True)
    w = e / tot                                                    # (S, M)
    m = np.einsum("sm,smp->sp", w, x)                              # (S, p)
    d = x - m[:, None, :]                                          # (S, M, p)
    ll = float((eta[:, 0] - top[:, 0] - np.log(tot[:, 0])).sum())
    score = (x[:, 0, :] - m).sum(axis=0)
    wd = w[..., None] * d
    info = np.einsum("smp,smq->pq", wd, d)
    dinfo = np.einsum("smp,smq,smr->pqr", wd, d, d) if third else None
    return ll, score, info, dinfo


def penalised_loglik(b: np.ndarray, x: np.ndarray, valid: np.ndarray, *,
                     firth: bool = True) -> float:
    """``l(b) + 0.5 log det I(b)`` (``l(b)`` alone without ``firth``); -inf when the
    information is singular."""
    ll, _, info, _ = _moments(np.asarray(b, dtype=float), x, valid, third=False)
    if not firth:
        return ll
    sign, logdet = np.linalg.slogdet(info)
    return float(ll + 0.5 * logdet) if sign > 0 else -math.inf


def fit(x: np.ndarray, valid: np.ndarray, *, fixed: dict[int, float] | None = None,
        start: np.ndarray | None = None, firth: bool = True, tol: float = 1e-8,
        max_iter: int = 100) -> Fit:
    """Maximise the penalised conditional log-likelihood, some coefficients held fixed.

    Newton-Raphson on Firth's modified score ``U*_r = U_r + 0.5 tr(I^-1 dI/db_r)`` with the
    information as the Hessian, steps capped at 5 in any coordinate and halved until the
    penalised log-likelihood does not fall (as logistf).

    Parameters
    ----------
    x, valid : ndarray
        From :func:`prepare`.
    fixed : dict, optional
        Coefficient index -> value held fixed (profile likelihood, likelihood-ratio test).
    start : ndarray, optional
        Starting coefficients (default 0, with the fixed ones set).
    firth : bool
        Penalise (default). Without it this is the ordinary conditional maximum-likelihood
        fit, which is infinite under separation.

    Returns
    -------
    Fit
    """
    p = x.shape[-1]
    b = np.zeros(p) if start is None else np.array(start, dtype=float)
    fixed = fixed or {}
    for k, v in fixed.items():
        b[k] = v
    free = np.array([k for k in range(p) if k not in fixed], dtype=int)
    current = penalised_loglik(b, x, valid, firth=firth)
    converged = free.size == 0
    for _ in range(max_iter):
        if free.size == 0:
            break
        _, score, info, dinfo = _moments(b, x, valid, third=firth)
        modified = score
        if firth and dinfo is not None:
            try:
                inv = np.linalg.inv(info)
            except np.linalg.LinAlgError:
                break
            modified = score + 0.5 * np.einsum("pq,qpr->r", inv, dinfo)
        sub = info[np.ix_(free, free)]
        try:
            step = np.linalg.solve(sub, modified[free])
        except np.linalg.LinAlgError:
            break
        biggest = np.abs(step).max()
        if biggest > 5.0:
            step *= 5.0 / biggest
        for _half in range(30):
            trial = b.copy()
            trial[free] += step
            value = penalised_loglik(trial, x, valid, firth=firth)
            if value >= current - 1e-10:
                break
            step /= 2
        b, current = trial, value
        if np.abs(step).max() < tol:
            converged = True
            break
    _, _, info, _ = _moments(b, x, valid, third=False)
    se = np.full(p, np.nan)
    if free.size:
        try:
            cov = np.linalg.inv(info[np.ix_(free, free)])
            se[free] = np.sqrt(np.clip(np.diag(cov), 0, None))
        except np.linalg.LinAlgError:
            pass
    return Fit(b, current, se, converged)


def lr_test(x: np.ndarray, valid: np.ndarray, full: Fit, k: int) -> tuple[float, float]:
    """Penalised likelihood-ratio statistic and chi2(1) p-value for coefficient ``k`` = 0."""
    start = full.coef.copy()
    start[k] = 0.0
    reduced = fit(x, valid, fixed={k: 0.0}, start=start)
    stat = max(0.0, 2.0 * (full.loglik - reduced.loglik))
    return stat, float(stats.chi2.sf(stat, 1))


def profile_interval(x: np.ndarray, valid: np.ndarray, full: Fit, k: int,
                     level_stat: float = CHI2_95) -> tuple[float, float]:
    """Profile penalised-likelihood interval of coefficient ``k`` (log scale).

    Holds every b_k whose profile ``2 (l*max - max l*(. | b_k))`` stays below
    ``level_stat``; an end not reached within :data:`PROFILE_REACH` of the estimate is
    infinite (the data cannot bound it).
    """
    b_hat = float(full.coef[k])
    target = full.loglik - level_stat / 2.0

    def gap(bk: float) -> float:
        if bk == b_hat:
            return level_stat / 2.0
        start = full.coef.copy()
        start[k] = bk
        value = fit(x, valid, fixed={k: bk}, start=start).loglik - target
        return value if math.isfinite(value) else -math.inf

    def end(direction: float) -> float:
        step = max(0.5, 2.0 * float(full.se[k])) if np.isfinite(full.se[k]) else 1.0
        inner, outer = b_hat, b_hat
        while True:
            outer = inner + direction * step
            if abs(outer - b_hat) >= PROFILE_REACH:
                outer = b_hat + direction * PROFILE_REACH
                if gap(outer) > 0:
                    return direction * math.inf
                break
            if gap(outer) <= 0:
                break
            inner, step = outer, step * 2
        # bisection: inner is inside the interval, outer outside
        while abs(outer - inner) > 1e-5:
            mid = 0.5 * (inner + outer)
            if gap(mid) > 0:
                inner = mid
            else:
                outer = mid
        return 0.5 * (inner + outer)

    return end(-1.0), end(1.0)
