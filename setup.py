"""Build the itinerary solver's compiled search loop, and put the migrations in the wheel (the
rest of the project is in pyproject.toml)."""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithMigrations(build_py):
    """`migrations/` sits at the repository root (DESIGN.md); an installed package (a wheel, the
    container image) finds them as `navio/_migrations` (navio.migrate looks there first)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own migrations
            return
        target = Path(self.build_lib, "navio", "_migrations")
        shutil.copytree(
            "migrations",
            target,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )


setup(
    cmdclass={"build_py": BuildWithMigrations},
    ext_modules=[
        Extension(
            "navio.itinerary._ils",
            ["src/navio/itinerary/_ils.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        )
    ],
)
