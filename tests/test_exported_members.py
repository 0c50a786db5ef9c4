from __future__ import annotations

import youcheng


def test_all_lists_every_public_name() -> None:
    public = {name for name in vars(youcheng) if not name.startswith("_")} - {"annotations"}
    modules = {name for name, value in vars(youcheng).items() if type(value).__name__ == "module"}
    assert set(youcheng.__all__) - {"__version__"} == public - modules
