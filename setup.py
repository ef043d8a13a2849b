"""Build the itinerary solver's compiled search loop (the rest of the project is in pyproject.toml)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "navio.itinerary._ils",
            ["src/navio/itinerary/_ils.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
        )
    ]
)
