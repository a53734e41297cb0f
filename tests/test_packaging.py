"""The project installs beside other distributions without import-name clashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FOREIGN = ("schemas", "projections", "connectors", "streams")


def test_foreign_packages_with_our_folder_names_do_not_clash(tmp_path: Path) -> None:
    """Packages called schemas/projections/connectors/streams on sys.path leave ours intact."""
    # Step 1: fake distributions that own the bare names.
    for name in FOREIGN:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"OWNER = 'foreign {name}'\n")
    # Step 2: import both, with the foreign ones first on the path, from a neutral folder.
    probe = (
        "import schemas, projections, connectors, streams\n"
        "import stocksync.schemas.codec, stocksync.streams.stock_fold\n"
        "import stocksync.projections, stocksync.connectors\n"
        "print(schemas.OWNER, projections.OWNER, connectors.OWNER, streams.OWNER, sep='|')\n"
        "print(stocksync.schemas.codec.default_codec().__class__.__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60, check=True)
    owners, codec = result.stdout.splitlines()
    assert "|".join(f"foreign {name}" for name in FOREIGN) == owners
    assert "EventCodec" == codec


def test_the_stocksync_command_is_installed() -> None:
    """The installed distribution provides the `stocksync` command."""
    command = Path(sys.executable).with_name("stocksync")
    result = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60,
                            check=True)
    assert "kafka" in result.stdout and "publish" in result.stdout and "worker" in result.stdout
