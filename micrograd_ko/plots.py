"""Compatibility: the plots live in `micrograd_ko.viz.plots`."""

from .viz.plots import *  # noqa: F403
from .viz.plots import __all__  # noqa: F401
