import os

from hypothesis import HealthCheck, settings

# "ci": enough examples to find real bugs within the CI time budget.
# "dev": quicker local runs. "thorough": run by hand before a release.
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
