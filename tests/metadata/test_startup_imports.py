"""What a server's start does not load: libraries only some requests need."""

from __future__ import annotations

import subprocess
import sys


def test_the_server_starts_without_pyarrow() -> None:
    """pyarrow (about 40 MB resident and 0.1 s to import) is loaded by the first Parquet export only."""
    script = "import sys, genolog.cli, genolog.metadata.app; print('pyarrow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_server_starts_without_joserfc() -> None:
    """joserfc (and cryptography) verify OpenID Connect tokens: loaded by the first one only."""
    script = "import sys, genolog.cli, genolog.metadata.app; print('joserfc' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
