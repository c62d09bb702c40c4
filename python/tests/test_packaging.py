"""`pip install ./python` in a fresh virtual environment gives a working, typed package."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

from .service import AGENT, ROOT, Service

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import agent_warden
    from agent_warden import ToolDenied, Warden

    assert "site-packages" in agent_warden.__file__, agent_warden.__file__
    with Warden(os.environ["WARDEN_URL"], os.environ["WARDEN_TOKEN"]) as warden:
        with warden.session(agent=sys.argv[1], on_behalf_of="alice@example.com", intent="packaging") as session:
            @session.tool("read_ticket")
            def read_ticket(id: int) -> str:
                return f"ticket {id}"

            @session.tool("execute_shell")
            def execute_shell(command: str) -> str:
                return "ran"

            print(read_ticket(1))
            try:
                execute_shell("ls")
            except ToolDenied as denied:
                print(denied.code)
    """
)


def test_pip_install_in_a_fresh_venv_gives_a_working_package(tmp_path: Path, service: Service) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Where only a local package index answers, pip's default retries of the others cost a minute; the
    # build backend's own install (build isolation) reads the setting from the environment.
    pip_env = {**os.environ, "PIP_RETRIES": os.environ.get("PIP_RETRIES", "0")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(ROOT / "python")],
        capture_output=True,
        text=True,
        env=pip_env,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    typed = subprocess.run(
        [str(python), "-c", "import agent_warden, pathlib; print((pathlib.Path(agent_warden.__file__).parent / 'py.typed').exists())"],
        capture_output=True,
        text=True,
    )
    assert typed.stdout.strip() == "True"
    env = {**os.environ, "WARDEN_URL": service.url, "WARDEN_TOKEN": service.agent_token}
    ran = subprocess.run([str(python), "-c", SCRIPT, AGENT], capture_output=True, text=True, env=env, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["ticket", "1", "TOOL_DENIED"]
    assert sys.executable != str(python)
