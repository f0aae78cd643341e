"""Compatibility: the HTML report lives in `micrograd_ko.viz.report`."""

from .viz.report import *  # noqa: F403
from .viz.report import __all__  # noqa: F401
