"""Build step for the optional C featurizer (themetag._featurize); everything else about the package is in pyproject.toml.

``optional=True``: where no C compiler is found, the install still succeeds and
themetag counts with NumPy (the reference implementation), only slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("themetag._featurize", ["src/themetag/_featurize.c"], optional=True, extra_compile_args=["-O2", "-ffp-contract=off"])])
