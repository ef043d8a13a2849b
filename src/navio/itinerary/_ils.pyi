from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

def search(
    *,
    n: int,
    m: int,
    travel: NDArray[np.float64],
    service: NDArray[np.float64],
    open: NDArray[np.float64],
    close: NDArray[np.float64],
    t0: NDArray[np.float64],
    tmax: NDArray[np.float64],
    cap: NDArray[np.intc],
    eff: NDArray[np.float64],
    cost: NDArray[np.float64],
    budget: float,
    candidate: NDArray[np.uint8],
    locked: NDArray[np.uint8],
    routes: Sequence[Sequence[int]],
    fixed: NDArray[np.intc],
    seed: int,
    time_limit: float,
    max_iterations: int,
    params: tuple[
        int, int, int, int, int, float, float, float, float, float, int, int, int, float, float
    ],
    construct_only: bool = ...,
) -> tuple[list[list[int]], int]: ...
def pack_routes(
    *,
    routes: Sequence[Sequence[int]],
    eff: NDArray[np.float64],
    cost: NDArray[np.float64],
    m: int,
    budget: float,
    pool_size: int,
    node_limit: int,
) -> tuple[list[list[int]], list[list[int]]]: ...
