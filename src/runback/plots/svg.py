"""A figure as an inline ``<svg>`` element for an HTML page."""

from __future__ import annotations

import html
import io
import re
import uuid

import matplotlib as mpl
from matplotlib.figure import Figure

_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]*)')
_SPACE = re.compile(r"\s")


# --------------------------------------------------------------------------- output


def figure_svg(fig: Figure, *, title: str | None = None, id_prefix: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element for an HTML5 page.

    Text stays text (``svg.fonttype: none``, set only for this call), so the SVG is small
    and searchable; the XML prolog, doctype and matplotlib's metadata block are left out.
    A figure with a layout engine (``layout="constrained"``, as :func:`plot_*` make) is
    saved at its size; one without is cropped to its drawn extent (``bbox_inches="tight"``,
    which draws it twice).
    Every element id gets ``id_prefix`` (by default a random one per call) and repeated ids
    a ``-2``, ``-3``... suffix, with ``url(#...)`` and ``href="#..."`` references following,
    so several figures can share a page without id clashes; the root ``<svg>`` gets the id
    ``<id_prefix>chart`` and matplotlib's stylesheet is scoped to it.

    Parameters
    ----------
    fig : Figure
        The figure (``ax.figure`` of any chart).
    title : str, optional
        Accessible name, added as the SVG's first ``<title>`` child.
    id_prefix : str, optional
        Prefix of every id in the SVG; pass distinct ones for a reproducible page.

    Returns
    -------
    str
        Markup starting with ``<svg``.
    """
    buf = io.StringIO()
    laid_out = fig.get_layout_engine() is not None
    with mpl.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches=None if laid_out else "tight",
                    pad_inches=0.05,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    prefix = id_prefix if id_prefix is not None else f"rb{uuid.uuid4().hex[:8]}-"
    svg = _unique_ids(text[text.index("<svg"):].rstrip(), prefix)
    # matplotlib's <style> applies to "*", which inline would mean every SVG of the page
    root = f"{prefix}chart"
    svg = svg.replace("<svg ", f'<svg id="{root}" ', 1)
    svg = svg.replace('<style type="text/css">*{', f'<style type="text/css">#{root} *{{', 1)
    if title:
        head = svg.index(">") + 1
        svg = f"{svg[:head]}\n<title>{html.escape(title)}</title>{svg[head:]}"
    return svg


def _unique_ids(svg: str, prefix: str) -> str:
    """Prefix every id (whitespace made ``_``), number repeats, and follow the references."""
    seen: dict[str, int] = {}

    def rename(match: re.Match[str]) -> str:
        name = _SPACE.sub("_", match.group(1))
        seen[name] = seen.get(name, 0) + 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        return f'id="{prefix}{name}{suffix}"'

    def refer(match: re.Match[str]) -> str:
        return f"{match.group(1)}{prefix}{_SPACE.sub('_', match.group(2))}"

    return _REF.sub(refer, _ID.sub(rename, svg))
