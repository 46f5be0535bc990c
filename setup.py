"""Build step for the optional C featurizer (themetag._featurize); everything else about the package is in pyproject.toml.

``optional=True``: where no C compiler is found, the install still succeeds and
themetag counts with NumPy (the reference implementation), only slower. The
failure is not silent: a warning is printed (pip shows build output with
``-v``), and at run time ``THEMETAG_EXPECT_COMPILED=1`` (CI sets it) makes
themetag warn that the C module is missing.
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class build_optional_ext(build_ext):
    """Flags per compiler (both keep NumPy's bits: no fused multiply-add), and a clear warning when the build fails."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        for ext in self.extensions:
            ext.extra_compile_args = ["/O2", "/fp:precise"] if msvc else ["-O2", "-ffp-contract=off"]
        super().build_extensions()

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # setuptools then skips the optional module; say so where it can be seen
            line = "=" * 100
            print(
                f"\n{line}\nWARNING: themetag's optional C featurizer ({ext.name}) was NOT built: {exc}\n"
                "themetag still works, with NumPy (the same results, about 3x slower). To build it, install a C\n"
                "compiler (GCC, Clang or MSVC) and Python's headers, then reinstall without pip's wheel cache:\n"
                "pip install --no-cache-dir --force-reinstall themetag\n"
                f"{line}\n",
                file=sys.stderr,
                flush=True,
            )
            raise


setup(
    ext_modules=[Extension("themetag._featurize", ["src/themetag/_featurize.c"], optional=True)],
    cmdclass={"build_ext": build_optional_ext},
)
