"""Repository-level pytest configuration for insbench's own tests.

Hypothesis: no per-example deadline (CPU timing on shared 2-core machines is noisy) and,
by default, derandomised so that CI sees the same examples every run;
``HYPOTHESIS_PROFILE=thorough`` runs ten times more examples with fresh randomness.
"""

import os

from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=50, derandomize=True)
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# insbench's own test suite only (not the installed plugin): tiny-matrix BLAS calls dominate the toy
# physics tests; see insbench.workflows.session.ThreadLimits.
from insbench.workflows.session import ThreadLimits  # noqa: E402

ThreadLimits().apply()
