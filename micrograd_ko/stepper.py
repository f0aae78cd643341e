"""Compatibility: `BackpropStepper` lives in `micrograd_ko.viz.stepper`."""

from .viz.stepper import *  # noqa: F403
from .viz.stepper import __all__  # noqa: F401
